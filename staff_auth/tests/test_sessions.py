"""Shared desk computers: a session ends after its idle time (the front desk's 15 minutes, the
managers' 30) and with the browser; a panel refreshing itself is not activity; the next person
signs in within seconds, and what they do is theirs."""

import datetime
import json

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from audit.models import ActorType, AuditAction, AuditLog
from config.browser import with_password
from members.tests.factories import MemberFactory
from staff_auth.sessions import ACTIVE_AT, IDLE_SECONDS
from staff_auth.tests.conftest import LOGIN, sign_in

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
TODAY = reverse("admin:desk_today")
CLOCK = reverse("admin:staff_auth_session")
PANEL = {"HTTP_HX_REQUEST": "true"}  # an htmx request (the script adds X-Idle-Seconds)


def minutes(count: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=count)


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def signed_in_client(user) -> Client:
    client = Client(REMOTE_ADDR="198.51.100.20", HTTP_USER_AGENT="DeskBrowser/1.0")
    client.force_login(user)
    return client


def is_signed_in(client) -> bool:
    return client.get(TODAY).status_code == 200


def test_a_desk_session_idle_for_15_minutes_ends_and_the_form_says_why(clock, front_desk):
    desk = signed_in_client(front_desk)
    assert desk.session[IDLE_SECONDS] == 15 * 60
    assert is_signed_in(desk)
    clock.shift(minutes(15) + datetime.timedelta(seconds=1))
    response = desk.get(TODAY)
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next={TODAY}"
    [message] = get_messages(response.wsgi_request)
    assert str(message) == "You were signed out after 15 minutes without activity. Sign in to go on."
    page = desk.get(response["Location"])
    assert "You were signed out after 15 minutes without activity" in page.text
    assert not is_signed_in(desk)
    entry = AuditLog.objects.get(action=AuditAction.SESSION_EXPIRED)
    assert (entry.actor_type, entry.actor_id, entry.entity_id) == (
        ActorType.STAFF,
        str(front_desk.pk),
        "test-front-desk",
    )
    assert (entry.reason, entry.new_values) == ("no activity for 15 minutes", {"idle_minutes": 15})
    assert (entry.ip_address, entry.user_agent) == ("198.51.100.20", "DeskBrowser/1.0")
    assert not AuditLog.objects.filter(action=AuditAction.SIGNED_OUT).exists()  # the expiry is the one entry


def test_pages_opened_keep_the_session_going(clock, front_desk):
    desk = signed_in_client(front_desk)
    for _ in range(5):
        clock.shift(minutes(10))
        assert is_signed_in(desk)


def test_a_panel_refreshing_itself_does_not_keep_a_forgotten_session_alive(clock, front_desk):
    desk = signed_in_client(front_desk)
    desk.get(TODAY)
    for idle in range(1, 16):  # the Today panels, every minute, nobody at the desk
        clock.shift(minutes(1))
        answer = desk.get(TODAY, HTTP_X_IDLE_SECONDS=str(idle * 60), **PANEL)
        assert answer.status_code == 200
    clock.shift(datetime.timedelta(seconds=5))
    answer = desk.get(TODAY, HTTP_X_IDLE_SECONDS=str(15 * 60 + 5), **PANEL)
    assert answer.status_code == 204 and answer["HX-Refresh"] == "true"  # the page reloads, to the form
    assert not is_signed_in(desk)


def test_typing_in_the_member_search_is_activity(clock, front_desk):
    desk = signed_in_client(front_desk)
    for _ in range(4):
        clock.shift(minutes(10))
        assert desk.get(reverse("admin:desk_search"), {"q": "ma"}, HTTP_X_IDLE_SECONDS="3", **PANEL).status_code == 200
    assert is_signed_in(desk)


def test_a_page_says_how_long_the_session_has_left(clock, front_desk):
    desk = signed_in_client(front_desk)
    clock.shift(minutes(4))
    desk.get(TODAY, HTTP_X_IDLE_SECONDS=str(4 * 60), **PANEL)
    answer = desk.get(TODAY, HTTP_X_IDLE_SECONDS=str(4 * 60), **PANEL)
    assert answer["X-Session-Seconds-Left"] == str(11 * 60)
    page = desk.get(TODAY)  # the page itself: activity, and the script told the time left
    assert 'src="/static/staff_auth/idle.js" data-seconds-left="900" data-warn-seconds="120"' in page.text


def test_the_clock_reports_activity_exactly_and_says_when_the_session_ended(clock, front_desk):
    desk = signed_in_client(front_desk)
    clock.shift(minutes(14) + datetime.timedelta(seconds=30))
    answer = desk.get(CLOCK, HTTP_X_IDLE_SECONDS="0")  # "Stay signed in"
    assert json.loads(answer.content) == {"signed_in": True, "seconds_left": 900}
    clock.shift(minutes(15) + datetime.timedelta(seconds=1))
    answer = desk.get(CLOCK, HTTP_X_IDLE_SECONDS=str(15 * 60 + 1))
    assert answer.status_code == 401 and json.loads(answer.content) == {"signed_in": False}
    assert AuditLog.objects.filter(action=AuditAction.SESSION_EXPIRED).count() == 1


@pytest.mark.parametrize("idle", ["-5", "1e9", "abc", "９", "9" * 40])
def test_an_idle_header_that_is_not_a_number_counts_as_nothing_said(clock, front_desk, idle):
    desk = signed_in_client(front_desk)
    clock.shift(minutes(5))
    assert desk.get(TODAY, HTTP_X_IDLE_SECONDS=idle, **PANEL).status_code == 200
    assert desk.session[ACTIVE_AT] == int((NOON + minutes(5)).timestamp())


def test_managers_sessions_last_30_idle_minutes(clock, manager):
    office = signed_in_client(manager)
    assert office.session[IDLE_SECONDS] == 30 * 60
    clock.shift(minutes(29))
    assert is_signed_in(office)
    clock.shift(minutes(30) + datetime.timedelta(seconds=1))
    assert not is_signed_in(office)


def test_no_idle_end_when_the_setting_is_0(clock, front_desk, settings):
    settings.SESSION_IDLE_MINUTES = 0
    desk = signed_in_client(front_desk)
    clock.shift(datetime.timedelta(hours=5))
    assert is_signed_in(desk)
    assert "idle.js" not in desk.get(TODAY).text


def test_a_session_from_before_idle_ends_gets_its_limit_at_its_next_request(clock, front_desk):
    desk = signed_in_client(front_desk)
    session = desk.session
    del session[IDLE_SECONDS], session[ACTIVE_AT]
    session.save()
    assert is_signed_in(desk)
    assert desk.session[IDLE_SECONDS] == 15 * 60


def test_the_session_cookie_ends_with_the_browser(front_desk):
    with_password(front_desk)
    desk = Client()
    response = sign_in(desk, front_desk.username)
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"]


def test_the_next_person_signs_in_at_once_and_what_they_do_is_theirs(front_desk, manager):
    """Sign out lands on the sign-in form; the first person's session is gone for good."""
    with_password(front_desk), with_password(manager)
    member = MemberFactory()
    desk = Client()
    sign_in(desk, front_desk.username)
    first_session = desk.cookies["sessionid"].value
    signed_out = desk.post(reverse("admin:logout"))
    assert signed_out.status_code == 302 and signed_out["Location"] == LOGIN
    assert sign_in(desk, manager.username).status_code == 302
    assert desk.cookies["sessionid"].value != first_session
    desk.post(reverse("admin:desk_member_note", args=[member.pk]), {"text": "Prefers the early sauna."})
    entry = AuditLog.objects.get(action=AuditAction.MEMBER_NOTE_UPDATED)
    assert (entry.actor_id, entry.actor_label) == (str(manager.pk), manager.username)
    stolen = Client()
    stolen.cookies["sessionid"] = first_session
    assert not is_signed_in(stolen)


def test_the_api_touches_neither_the_idle_clock_nor_the_throttle(front_desk, django_assert_num_queries):
    """An API request with a member's token reads no session and no failed sign-ins."""
    from members.tests.tokens import bearer, member_token

    member = MemberFactory()
    api = Client(**bearer(member_token(member)))
    api.get(reverse("api:entitlements"))
    with django_assert_num_queries(0, exact=False) as queries:
        api.get(reverse("api:entitlements"))
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "django_session" not in sql and "axes_" not in sql
