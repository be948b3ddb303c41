import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.models import BenefitBooking
from classes.models import ClassTimetableEntry, ScheduledClass
from clubs.models import Branch, Organization
from demo.seed import demo_data_seed
from facilities.models import BenefitSetting, Closure, Facility
from members.models import Entitlement, Member

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 27)  # the week in which Europe and America change clocks apart
SEEDED_MODELS = [
    Organization,
    Branch,
    Facility,
    BenefitSetting,
    Member,
    Entitlement,
    ClassTimetableEntry,
    ScheduledClass,
]


def snapshot() -> dict:
    return {model.__name__: sorted(model.objects.values_list()) for model in SEEDED_MODELS}


def test_seeding_twice_gives_the_same_data():
    demo_data_seed(today=TODAY)
    first = snapshot()
    demo_data_seed(today=TODAY)
    assert snapshot() == first
    assert {name: len(rows) for name, rows in first.items()} == {
        "Organization": 1,
        "Branch": 2,
        "Facility": 8,
        "BenefitSetting": 8,
        "Member": 600,
        "Entitlement": 800,
        "ClassTimetableEntry": 70,
        "ScheduledClass": 72,  # the week's 35 timetable classes and the Sunday's one-off class, at each branch
    }


def test_branches_are_in_different_time_zones_and_classes_follow_local_clocks():
    demo_data_seed(today=TODAY)
    zones = set(Branch.objects.values_list("time_zone", flat=True))
    assert zones == {"Europe/London", "America/New_York"}
    for branch in Branch.objects.all():
        first_spin = ScheduledClass.objects.filter(branch=branch, title="Spin").order_by("starts_at").first()
        assert first_spin.starts_at.astimezone(branch.zone).time() == datetime.time(7, 0)
    # London moves its clocks on 29 March 2026: the early Spin, 07:00 local, is 07:00 UTC before, 06:00 after.
    london = Branch.objects.get(time_zone="Europe/London")
    early_spins = [
        spin.starts_at
        for spin in ScheduledClass.objects.filter(branch=london, title="Spin")
        if spin.starts_at.astimezone(london.zone).time() == datetime.time(7, 0)
    ]
    assert sorted({start.astimezone(datetime.UTC).hour for start in early_spins}) == [6, 7]


def test_seed_command_prints_the_two_logins_which_work(client, capsys):
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "frontdesk" in output and "manager" in output
    # through the sign-in form, as a person signs in (and its throttle needs the request)
    assert client.post("/admin/login/", {"username": "manager", "password": "manager-demo-2026"}).status_code == 302
    assert client.get("/admin/members/member/").status_code == 200
    assert client.post("/admin/login/", {"username": "frontdesk", "password": "frontdesk-demo-2026"}).status_code == 302
    assert client.get("/admin/audit/auditlog/").status_code == 403


def test_seeding_books_nothing():
    demo_data_seed(today=TODAY)
    assert not BenefitBooking.objects.exists()


def test_the_desk_day_gets_bookings_around_now_once():
    from django.utils import timezone

    from bookings.models import ItemBooking
    from demo.seed import demo_desk_day_seed

    demo_data_seed(today=timezone.localdate())
    made = demo_desk_day_seed(now=timezone.now())
    live = ItemBooking.objects.exclude(status="cancelled")
    assert made == live.count() > 0
    assert live.filter(status="waitlisted").exists()  # the day's last class, full
    assert live.filter(capacity_override=True, booked_by_user__username="manager").exists()
    assert not live.filter(starts_at__lte=timezone.now()).exists()  # nothing booked that has started
    assert demo_desk_day_seed(now=timezone.now()) == 0  # loading again adds nothing


def test_the_demo_closes_studio_2_next_wednesday_morning_once():
    today = timezone.localdate()
    demo_data_seed(today=today)
    demo_data_seed(today=today)
    (closure,) = Closure.objects.all()
    local = timezone.localtime(closure.starts_at, closure.branch.zone)
    assert (closure.branch.name, closure.room, local.isoweekday(), f"{local:%H:%M}") == (
        "Harbourfront",
        "Studio 2",
        3,
        "09:00",
    )
    assert closure.reason == "private_event" and closure.starts_at > timezone.now()
