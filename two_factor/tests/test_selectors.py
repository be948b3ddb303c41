import pytest

from audit.admin import EXPORT_PERMISSION
from bookings.services import OVERRIDE_PERMISSION
from two_factor.selectors import TWO_FACTOR_PERMISSIONS, must_use_two_factors

pytestmark = pytest.mark.django_db


def test_the_permissions_that_ask_for_a_code_are_overriding_and_exporting():
    assert set(TWO_FACTOR_PERMISSIONS) == {OVERRIDE_PERMISSION, EXPORT_PERMISSION}


def test_managers_and_superusers_must_use_two_factors_and_the_front_desk_need_not(
    manager, front_desk, django_user_model
):
    superuser = django_user_model.objects.create_superuser("root", password="pw")
    assert must_use_two_factors(manager) and must_use_two_factors(superuser)
    assert not must_use_two_factors(front_desk)


def test_nobody_must_when_the_setting_is_off(manager, settings):
    settings.STAFF_TWO_FACTOR_REQUIRED = False
    assert not must_use_two_factors(manager)
