"""Every admin and concierge page, given a hostile query string, answers without a server error.

Hostile input is normal input: absurd dates in date lookups and day filters, numbers beyond any range,
`%`, NUL bytes, 5,000-character values, ids that are not UUIDs, parameters nobody defined. A page
may refuse, redirect or ignore them with a message; it may not answer 5xx. Each page is walked
as a manager and as the front desk (who meets 403s where they may not go, never a 500).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html import unescape
from urllib.parse import parse_qsl, urlencode

import pytest
from django.contrib import admin
from django.db import models, transaction
from django.test import Client
from django.urls import reverse

from bookings.models import BenefitBooking, ClassBooking
from config.tests.test_admin_pages import add_rows_of_every_kind
from staff_auth.tests.factories import api_key_for, failed_sign_ins
from two_factor.tests.factories import enrol

pytestmark = pytest.mark.django_db

HUGE_NUMBER = "9" * 20
# Each also stands for its neighbours: 5,000 nines are a long value and a number beyond any
# range; "not-a-uuid" is a non-number, a non-date and a non-id.
HOSTILE_VALUES = ["%", "\x00", "9" * 5000, HUGE_NUMBER, "-1", "not-a-uuid", "9999-12-31"]
# The wrong type, NUL, far too long: for an add page's initial values, and for parameters whose
# presence is all that is read of them.
FEW_VALUES = ["%", "\x00", "9" * 5000]
# Parameters the admin's own pages read, and one nobody defined.
CHANGELIST_PARAMETERS = ["q", "o", "p", "_to_field"]
FORM_PAGE_PARAMETERS = ["_changelist_filters", "_to_field"]
PRESENCE_PARAMETERS = ["e", "all", "_popup", "unknown"]
NOT_AN_ID = ["not-a-uuid", "\x00", "9" * 5000, "%"]
# Date lookups on the model's instants, beyond the calendar at both ends and in the middle (what
# Django's date hierarchy would ask for; the club's lists filter by branch days instead).
DATE_PART_QUERIES = [
    {"year": "99999"},
    {"year": "9999"},
    {"year": "9999", "month": "12"},
    {"year": "9999", "month": "12", "day": "31"},
    {"year": "1", "month": "1", "day": "1"},
    {"year": "0"},
    {"year": "-1"},
    {"year": HUGE_NUMBER},
    {"year": "2026", "month": "13"},
    {"year": "2026", "month": "0"},
    {"year": "2026", "month": "2", "day": "30"},
    {"year": "2026", "month": "1", "day": "0"},
    {"day": "0"},
    {"month": "12"},
    {"year": "abc"},
    {"year": "²"},
    {"iso_year": "0"},
    {"iso_year": "99999"},
    {"year__gte": "99999"},
    {"week": "99"},
    {"quarter": "0"},
]

# Crashes in pages whose code is not this test author's: each marked with the file to fix. Remove
# a mark once its file is fixed (strict: an unexpected pass fails, to say so).
KNOWN_CRASHES: dict[str, str] = {}

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
# The desk's Today has pages of its own (tested below), no objects to add or change.
OBJECT_MODELS = [model for model in MODELS if model._meta.label != "desk.Today"]


def cases(page: str, subjects: Iterable, ids=str) -> list:
    """One test case per subject, marked when its page is a known crash."""
    marked = []
    for subject in subjects:
        reason = KNOWN_CRASHES.get(f"{page}:{ids(subject)}")
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        marked.append(pytest.param(subject, marks=marks, id=ids(subject)))
    return marked


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture(params=["manager", "front_desk"])
def staff_client(request) -> Client:
    return _client(request.getfixturevalue(request.param))


@pytest.fixture
def rows(db, django_user_model):
    add_rows_of_every_kind()
    api_key_for(django_user_model.objects.create_user("api-client", is_staff=True))
    failed_sign_ins(username="api-client", ip_address="203.0.113.7", failures=2)
    enrol(django_user_model.objects.create_user("manager-with-app", is_staff=True))


def server_errors(client: Client, requests: Iterable[tuple[str, dict]]) -> list[str]:
    """Each request that answered 5xx, with its exception. Every request runs in a savepoint
    rolled back after it, so that a database error in one cannot poison the next."""
    failures = []
    for path, params in requests:
        address = f"{path}?{urlencode(params)}" if params else path
        savepoint = transaction.savepoint()
        try:
            response = client.get(address)
        finally:
            transaction.savepoint_rollback(savepoint)
        if response.status_code >= 500:
            error = response.exc_info[1] if response.exc_info else None
            failures.append(f"{response.status_code} {address[:160]}: {error!r}"[:400])
    return failures


def each_value(
    path: str, parameters: Iterable[str], base: dict | None = None, values: list[str] = HOSTILE_VALUES
) -> Iterator[tuple[str, dict]]:
    for parameter in parameters:
        for value in values:
            yield path, {**(base or {}), parameter: value}


def admin_url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def filter_parameters(superuser_client: Client, model) -> set[str]:
    """The query parameters the changelist's own links use: filters (the day filter included), sorting."""
    page = superuser_client.get(admin_url(model, "changelist"))
    if page.status_code != 200:
        return set()
    links = re.findall(r'href="\?([^"#]*)"', page.content.decode())
    return {name for link in links for name, _ in parse_qsl(unescape(link), keep_blank_values=True)}


def date_part_requests(path: str, model) -> Iterator[tuple[str, dict]]:
    for field in model._meta.get_fields():
        if isinstance(field, models.DateTimeField):
            for query in DATE_PART_QUERIES:
                yield path, {f"{field.name}__{part}": value for part, value in query.items()}


def model_id(model) -> str:
    return model._meta.label


@pytest.mark.parametrize("model", cases("changelist", MODELS, model_id))
def test_changelist_survives_hostile_query_strings(rows, staff_client, admin_client, model):
    path = admin_url(model, "changelist")
    parameters = {*CHANGELIST_PARAMETERS, *filter_parameters(admin_client, model)}
    requests = [
        *each_value(path, sorted(parameters)),
        *each_value(path, PRESENCE_PARAMETERS, values=FEW_VALUES),
        *date_part_requests(path, model),
    ]
    assert server_errors(staff_client, requests) == []


@pytest.mark.parametrize("model", cases("object", OBJECT_MODELS, model_id))
def test_object_pages_survive_hostile_query_strings_and_ids(rows, staff_client, model):
    row = model._default_manager.first()
    pages = [admin_url(model, "add"), admin_url(model, "change", row.pk)]
    requests = [
        request
        for page in pages
        for request in [
            *each_value(page, FORM_PAGE_PARAMETERS),
            *each_value(page, PRESENCE_PARAMETERS, values=FEW_VALUES),
        ]
    ]
    requests.append((admin_url(model, "history", row.pk), {"unknown": "\x00"}))
    # The add page takes initial values from the query string, one per field.
    form_fields = [field.name for field in model._meta.fields if field.editable]
    requests += each_value(admin_url(model, "add"), form_fields, values=FEW_VALUES)
    requests += [
        (admin_url(model, page, bad_id), {}) for page in ("change", "history", "delete") for bad_id in NOT_AN_ID
    ]
    assert server_errors(staff_client, requests) == []


def test_index_and_autocomplete_survive_hostile_query_strings(rows, staff_client):
    autocomplete = {"app_label": "members", "model_name": "entitlement", "field_name": "member"}
    requests = [
        *each_value(reverse("admin:index"), ["unknown"]),
        *each_value(reverse("admin:app_list", args=["members"]), ["unknown"]),
        *each_value(
            reverse("admin:autocomplete"), ["term", "page", "app_label", "model_name", "field_name"], autocomplete
        ),
    ]
    assert server_errors(staff_client, requests) == []


def concierge_state() -> dict[str, dict]:
    """A valid query string for each concierge step, to spoil one parameter at a time."""
    slot_booking = BenefitBooking.objects.select_related("slot__facility__branch").first()
    class_booking = ClassBooking.objects.first()
    slot = slot_booking.slot
    day = slot.starts_at.astimezone(slot.facility.branch.zone).date().isoformat()
    schedule = {"member": slot_booking.member_id, "kind": "slot", "branch": slot.facility.branch_id, "date": day}
    return {
        "member": {"q": "smith"},
        "schedule": schedule,
        "pick": schedule,
        "confirm": {**schedule, "item": slot_booking.slot_id, "waitlist": "1"},
        "done": {"kind": "class", "booking": class_booking.pk, "member": class_booking.member_id},
    }


CONCIERGE_STEPS = ["member", "schedule", "pick", "confirm", "done"]
CONCIERGE_PARAMETERS = ["q", "member", "kind", "branch", "date", "item", "booking", "waitlist", "unknown"]


@pytest.mark.parametrize("step", cases("concierge", CONCIERGE_STEPS))
def test_concierge_steps_survive_hostile_query_strings(rows, staff_client, step):
    base = concierge_state()[step]
    path = reverse(f"admin:bookings_concierge_{step}")
    assert server_errors(staff_client, [(path, base), *each_value(path, CONCIERGE_PARAMETERS, base)]) == []


def desk_pages() -> list[tuple[str, dict, list[str]]]:
    """Each desk page with a valid query string and the parameters it reads."""
    class_booking = ClassBooking.objects.select_related("scheduled_class").first()
    slot_booking = BenefitBooking.objects.first()
    branch = class_booking.scheduled_class.branch_id
    return [
        (reverse("admin:desk_today"), {"branch": branch}, ["branch", "unknown"]),
        (reverse("admin:desk_today_panels"), {"branch": branch}, ["branch"]),
        (reverse("admin:desk_search"), {"q": "smith"}, ["q"]),
        (reverse("admin:desk_walk_in"), {"name": "Zed Nobody"}, ["name", "branch"]),
        (reverse("admin:desk_grid"), {"branch": branch}, ["branch", "date", "member", "unknown"]),
        (reverse("admin:desk_roster", args=["class", class_booking.scheduled_class_id]), {}, ["unknown", "q"]),
        (reverse("admin:desk_roster", args=["slot", slot_booking.slot_id]), {}, ["unknown", "q"]),
        (reverse("admin:desk_roster", args=["nonsense", slot_booking.slot_id]), {}, []),
        (reverse("admin:desk_member", args=[class_booking.member_id]), {}, ["unknown"]),
        (reverse("admin:desk_member", args=["00000000-0000-0000-0000-000000000000"]), {}, []),
    ]


def test_desk_pages_survive_hostile_query_strings(rows, staff_client):
    requests = [
        request
        for path, base, parameters in desk_pages()
        for request in [(path, base), *each_value(path, parameters, base)]
    ]
    assert server_errors(staff_client, requests) == []
