"""Staff API tokens: kept as digests, found by their first characters, refused once expired or
revoked (each a 401 saying which); made by a manager (the key shown once) or a command, revoked
by either."""

import datetime
import hashlib
import importlib
import json
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import ActorType, AuditAction, AuditLog, AuditSource
from config.commands import BAD_ARGUMENTS
from staff_auth.models import StaffApiToken
from staff_auth.tests.factories import api_key_for

pytestmark = pytest.mark.django_db

SEARCH = reverse("api:staff-members")
TOKENS = reverse("admin:staff_auth_staffapitoken_changelist")
ADD = reverse("admin:staff_auth_staffapitoken_add")


def api_get(key: str):
    return Client().get(SEARCH, {"q": "ma"}, HTTP_AUTHORIZATION=f"Token {key}")


def refusal(response) -> str:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"]  # says how to authenticate, as a 401 must
    return json.loads(response.content)["code"]


def test_a_token_opens_the_api_with_its_users_permissions(front_desk):
    key = api_key_for(front_desk)
    assert key.startswith("cst_") and len(key) == 47
    assert api_get(key).status_code == 200
    assert Client().get(reverse("api:staff-audit-export"), HTTP_AUTHORIZATION=f"Token {key}").status_code == 403


def test_the_key_is_kept_nowhere_only_its_digest(front_desk):
    key = api_key_for(front_desk)
    token = StaffApiToken.objects.get()
    assert token.prefix == key[:12] and token.digest == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("select row_to_json(token)::text from staff_api_tokens token")
        assert key not in cursor.fetchone()[0]


def test_an_expired_token_is_refused(front_desk):
    key = api_key_for(front_desk, days=1)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        assert refusal(api_get(key)) == "token_expired"


def test_a_revoked_token_is_refused_and_a_manager_revoked_it(manager, manager_client, front_desk):
    key = api_key_for(front_desk)
    token = StaffApiToken.objects.get()
    response = manager_client.post(TOKENS, {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert "Revoked Test kiosk" in response.text
    assert refusal(api_get(key)) == "token_revoked"
    entry = AuditLog.objects.get(action=AuditAction.API_TOKEN_REVOKED)
    assert (entry.actor_type, entry.actor_id, entry.entity_type, entry.entity_id) == (
        ActorType.STAFF, str(manager.pk), "api_token", str(token.pk),
    )  # fmt: skip
    assert entry.new_values["user"] == front_desk.username and entry.new_values["prefix"] == key[:12]
    again = manager_client.post(TOKENS, {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert "already revoked" in again.text
    assert AuditLog.objects.filter(action=AuditAction.API_TOKEN_REVOKED).count() == 1


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("cst_" + "A" * 43, "token_unknown"),
        ("short", "token_malformed"),
        ("cst_ with spaces and more", "token_malformed"),
        ("cst_" + "x" * 5000, "token_malformed"),
        ("cst_\x00" + "a" * 40, "token_malformed"),
        ("", "token_malformed"),
    ],
    ids=["unknown", "short", "spaces", "long", "nul", "empty"],
)
def test_keys_it_never_made_are_refused_saying_which(key, code):
    assert refusal(api_get(key)) == code


def test_a_known_prefix_with_the_wrong_rest_is_unknown(front_desk):
    key = api_key_for(front_desk)
    assert refusal(api_get(key[:12] + "B" * 35)) == "token_unknown"


def test_the_token_of_a_deactivated_user_is_refused(front_desk):
    key = api_key_for(front_desk)
    front_desk.is_active = False
    front_desk.save()
    assert refusal(api_get(key)) == "token_user_inactive"


def test_last_use_is_written_at_most_every_ten_minutes(front_desk, django_assert_num_queries):
    key = api_key_for(front_desk)
    api_get(key)
    first = StaffApiToken.objects.get().last_used_at
    assert first is not None
    api_get(key)
    assert StaffApiToken.objects.get().last_used_at == first


def test_a_manager_makes_a_token_and_sees_its_key_once(manager, manager_client, front_desk):
    form = manager_client.get(ADD)
    assert form.status_code == 200 and 'value="90"' in form.text
    response = manager_client.post(ADD, {"user": front_desk.pk, "name": "Riverside entrance kiosk", "days": 30})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    key = response.context["key"]
    assert key in response.text and "shown only this once" in response.text
    assert api_get(key).status_code == 200
    listing = manager_client.get(TOKENS)
    assert "Riverside entrance kiosk" in listing.text and key[:12] in listing.text and key not in listing.text
    token = StaffApiToken.objects.get()
    assert manager_client.get(reverse("admin:staff_auth_staffapitoken_change", args=[token.pk])).status_code == 200
    entry = AuditLog.objects.get(action=AuditAction.API_TOKEN_CREATED)
    assert (entry.actor_id, entry.source, entry.entity_id) == (str(manager.pk), AuditSource.ADMIN, str(token.pk))
    assert key not in json.dumps(entry.new_values)


def test_a_manager_cannot_make_a_token_for_someone_who_may_do_more(manager, manager_client, django_user_model):
    boss = django_user_model.objects.create_superuser("owner", password="pw")
    deleter = django_user_model.objects.create_user("deleter", is_staff=True)
    deleter.user_permissions.add(Permission.objects.get(codename="delete_member"))
    for user in (boss, deleter):
        response = manager_client.post(ADD, {"user": user.pk, "name": "Sneaky", "days": 30})
        assert response.status_code == 200
        assert "may do things you may not" in response.text
    assert not StaffApiToken.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "   ", "days": 30}, "This field is required"),
        ({"name": "Kiosk", "days": 0}, "greater than or equal to 1"),
        ({"name": "Kiosk", "days": 366}, "less than or equal to 365"),
        ({"name": "Kiosk", "days": "x" * 500}, "Enter a whole number"),
        ({"name": "K\x00iosk", "days": 30}, "Null characters are not allowed"),
        ({"name": "Kiosk" * 100, "days": 30}, "at most 100 characters"),
    ],
)
def test_the_form_says_what_is_wrong(manager_client, front_desk, fields, error):
    response = manager_client.post(ADD, {"user": front_desk.pk, **fields})
    assert response.status_code == 200 and error in response.text
    assert not StaffApiToken.objects.exists()


def test_the_form_refuses_a_user_that_is_not_a_choice(manager_client):
    for user in ("x" * 200, "-1", "99999999999999999999", "1\x00"):
        response = manager_client.post(ADD, {"user": user, "name": "Kiosk", "days": 30})
        assert response.status_code == 200, user
        assert "Select a valid choice" in response.text or "Null characters are not allowed" in response.text, user


def test_the_front_desk_neither_makes_nor_lists_tokens(front_desk_client):
    assert front_desk_client.get(ADD).status_code == 403
    assert front_desk_client.get(TOKENS).status_code == 403


def command(name: str, *args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_kiosks_token_from_the_command_line(front_desk):
    out, err = command("create_api_token", front_desk.username, "--name", "Harbourfront kiosk", "--days", "7")
    key = out.strip()
    assert api_get(key).status_code == 200
    assert "Made “Harbourfront kiosk” for test-front-desk, until" in err and key not in err
    entry = AuditLog.objects.get(action=AuditAction.API_TOKEN_CREATED)
    assert (entry.actor_label, entry.source) == ("create_api_token", AuditSource.COMMAND)
    out, _ = command("revoke_api_token", key[:12], "--reason", "kiosk replaced")
    assert "Revoked “Harbourfront kiosk” of test-front-desk" in out
    assert refusal(api_get(key)) == "token_revoked"
    assert AuditLog.objects.get(action=AuditAction.API_TOKEN_REVOKED).reason == "kiosk replaced"


def test_the_commands_dry_runs_change_nothing(front_desk):
    out, _ = command("create_api_token", front_desk.username, "--name", "Kiosk", "--dry-run")
    assert "Would make “Kiosk” for test-front-desk, lasting 90 days" in out and not StaffApiToken.objects.exists()
    key = api_key_for(front_desk)
    out, _ = command("revoke_api_token", key[:12], "--dry-run")
    assert "would be revoked" in out and api_get(key).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody", "--name", "Kiosk"), "no user named 'nobody'"),
        (("test-front-desk", "--name", "Kiosk", "--days", "400"), "from 1 to 365 days"),
        (("test-front-desk", "--name", " "), "Say what the token is for"),
        (("member-only", "--name", "Kiosk"), "not an active staff user"),
    ],
)
def test_the_create_command_refuses_with_exit_2(front_desk, django_user_model, args, message):
    django_user_model.objects.create_user("member-only")
    with pytest.raises(CommandError, match=message) as refused:
        command("create_api_token", *args)
    assert refused.value.returncode == BAD_ARGUMENTS


@pytest.mark.parametrize("key_start", ["cst_nothere00", "cst", "x\x00" * 10])
def test_the_revoke_command_refuses_a_key_it_does_not_know(key_start):
    with pytest.raises(CommandError, match="no API token's key starts with") as refused:
        command("revoke_api_token", key_start)
    assert refused.value.returncode == BAD_ARGUMENTS


def test_plain_tokens_of_before_keep_working_hashed_and_their_table_goes(manager):
    """staff_auth 0002 on a database that had DRF's authtoken_token."""
    legacy_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "create table authtoken_token (key varchar(40) primary key, created timestamptz not null, "
            "user_id integer not null references auth_user (id))"
        )
        cursor.execute(
            "insert into authtoken_token values (%s, now() - interval '2 years', %s)", [legacy_key, manager.pk]
        )
        cursor.execute(importlib.import_module("staff_auth.migrations.0002_plain_tokens_kept_hashed").KEEP_AND_DROP)
        cursor.execute("select to_regclass('public.authtoken_token') is null")
        assert cursor.fetchone()[0]
    token = StaffApiToken.objects.get()
    assert token.prefix == legacy_key[:12] and token.name == "Kept from before tokens expired: replace it"
    assert datetime.timedelta(days=89) < token.expires_at - timezone.now() <= datetime.timedelta(days=90)
    assert api_get(legacy_key).status_code == 200
