"""A manager resets another staff member's two factors (a lost phone); they set up an app again at
their next sign-in."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditAction, AuditLog
from two_factor.tests.conftest import signed_in, verified
from two_factor.tests.factories import enrol

pytestmark = pytest.mark.django_db

DEVICES = "admin:two_factor_staffdevice_changelist"


def reset(client, *devices):
    return client.post(
        reverse(DEVICES), {"action": "reset", "_selected_action": [device.pk for device in devices]}, follow=True
    )


def test_a_manager_resets_anothers_and_they_set_up_an_app_at_next_sign_in(manager, other_manager):
    lost_phone = enrol(other_manager)
    their_session = verified(other_manager, lost_phone)
    client = verified(manager, enrol(manager))
    listed = client.get(reverse(DEVICES)).content.decode()
    assert "other-manager" in listed and lost_phone.key not in listed

    answer = reset(client, lost_phone)
    assert "Reset for other-manager: each sets up an app again at their next sign-in." in answer.content.decode()
    assert not TOTPDevice.objects.filter(user=other_manager).exists()
    assert not StaticDevice.objects.filter(user=other_manager).exists()
    entry = AuditLog.objects.get(action=AuditAction.TWO_FACTOR_RESET)
    assert (entry.actor_id, entry.entity_id) == (str(manager.pk), str(other_manager.pk))
    assert entry.new_values == {"staff_user": "other-manager", "removed": ["Authenticator app", "Recovery codes"]}

    # the session they verified with the lost phone must set up an app again
    assert their_session.get(reverse("admin:index"))["Location"].startswith(reverse("admin:two_factor_enrol"))
    assert client.get(reverse("admin:index")).status_code == 200  # the manager's own is untouched


def test_only_a_superuser_resets_a_superusers(manager, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="pw")
    device = enrol(superuser)
    answer = reset(verified(manager, enrol(manager)), device)
    assert "Only a superuser may reset the two factors of root (a superuser)." in answer.content.decode()
    assert TOTPDevice.objects.filter(user=superuser).exists()
    answer = reset(verified(superuser, device), device)
    assert answer.redirect_chain[-1][0].startswith(reverse("admin:two_factor_enrol"))  # their own: set up again
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_front_desk_neither_lists_nor_resets_devices(front_desk, manager):
    device = enrol(manager)
    client = signed_in(front_desk)
    assert client.get(reverse(DEVICES)).status_code == 403
    assert client.post(reverse(DEVICES), {"action": "reset", "_selected_action": [device.pk]}).status_code == 403
    assert TOTPDevice.objects.filter(user=manager).exists()


def test_no_page_shows_a_devices_secret(manager):
    device = enrol(manager)
    client = verified(manager, device)
    assert client.get(reverse("admin:two_factor_staffdevice_change", args=[device.pk])).status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").status_code == 404
