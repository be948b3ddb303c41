"""Slot generation: one SQL implementation, reached by the cron command and by members."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from access.tests.postgrest import PERMISSION_DENIED, acting_as, sqlstate
from audit.models import AuditLog
from audit.services import Actor
from bookings.models import BookingStatus
from bookings.tests.factories import BenefitBookingFactory
from clubs.tests.factories import BranchFactory
from config.errors import RuleViolation
from config.testing import committed_connection, database_url
from facilities.models import BenefitSlot, Weekday
from facilities.services import slots_ensure
from facilities.tests.factories import BenefitSettingFactory, FacilityFactory
from members.models import MemberStatus
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
TODAY = datetime.date.today()


def generate(branch, start: datetime.date, end: datetime.date | None = None, **options):
    return slots_ensure(
        branch_id=branch.pk,
        start_date=start,
        end_date=end or start,
        actor=Actor.system("test"),
        source="command",
        **options,
    )


def starts(facility) -> list[datetime.datetime]:
    return list(BenefitSlot.objects.filter(facility=facility).order_by("starts_at").values_list("starts_at", flat=True))


def night_facility(zone: str):
    """Open from midnight to 04:00 in 30-minute slots: the hours in which clocks change."""
    facility = FacilityFactory(branch=BranchFactory(time_zone=zone), capacity=3)
    BenefitSettingFactory(facility=facility, opens_at=datetime.time(0), closes_at=datetime.time(4))
    return facility


def utc(day: str, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00+00:00")


@pytest.mark.parametrize(
    ("zone", "day", "expected_utc_hours"),
    [
        # London springs forward at 01:00 GMT: local 01:00 and 01:30 do not exist.
        ("Europe/London", "2026-03-29", [(0, 0), (0, 30), (1, 0), (1, 30), (2, 0), (2, 30)]),
        # New York springs forward at 02:00 EST: local 02:00 and 02:30 do not exist.
        ("America/New_York", "2026-03-08", [(5, 0), (5, 30), (6, 0), (6, 30), (7, 0), (7, 30)]),
    ],
)
def test_no_slot_starts_at_a_time_that_does_not_exist(zone, day, expected_utc_hours):
    facility = night_facility(zone)
    run = generate(facility.branch, datetime.date.fromisoformat(day))
    assert run.created == 6
    assert starts(facility) == [utc(day, hour, minute) for hour, minute in expected_utc_hours]
    local = [moment.astimezone(ZoneInfo(zone)).strftime("%H:%M") for moment in starts(facility)]
    assert local == (
        ["00:00", "00:30", "02:00", "02:30", "03:00", "03:30"]
        if zone == "Europe/London"
        else ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    )


@pytest.mark.parametrize(("zone", "day"), [("Europe/London", "2026-10-25"), ("America/New_York", "2026-11-01")])
def test_a_wall_clock_time_that_happens_twice_gets_one_slot(zone, day):
    facility = night_facility(zone)
    run = generate(facility.branch, datetime.date.fromisoformat(day))
    moments = starts(facility)
    assert run.created == len(moments) == 8
    local = [moment.astimezone(ZoneInfo(zone)).strftime("%H:%M") for moment in moments]
    assert local == ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    slots = BenefitSlot.objects.filter(facility=facility)
    assert all(slot.ends_at - slot.starts_at == datetime.timedelta(minutes=30) for slot in slots)


def test_defaults_without_settings_are_six_to_ten_in_half_hours_at_the_facility_capacity():
    facility = FacilityFactory(capacity=5, branch=BranchFactory(time_zone="UTC"))
    run = generate(facility.branch, datetime.date(2026, 12, 1))
    assert run.created == 32
    first, last = starts(facility)[0], starts(facility)[-1]
    assert (first.time(), last.time()) == (datetime.time(6), datetime.time(21, 30))
    assert set(BenefitSlot.objects.filter(facility=facility).values_list("capacity", flat=True)) == {5}


def test_settings_decide_hours_length_and_capacity():
    facility = FacilityFactory(capacity=5, branch=BranchFactory(time_zone="UTC"))
    BenefitSettingFactory(
        facility=facility, opens_at=datetime.time(9), closes_at=datetime.time(12), slot_minutes=50, capacity=2
    )
    generate(facility.branch, datetime.date(2026, 12, 1))
    slots = BenefitSlot.objects.filter(facility=facility).order_by("starts_at")
    # 09:00, 09:50, 10:40; an 11:30 slot would end after closing.
    assert [slot.starts_at.time() for slot in slots] == [datetime.time(9), datetime.time(9, 50), datetime.time(10, 40)]
    assert {slot.capacity for slot in slots} == {2}


def test_inactive_and_maintenance_facilities_are_skipped_with_the_reason():
    branch = BranchFactory(time_zone="UTC")
    open_one = FacilityFactory(branch=branch, name="Sauna")
    FacilityFactory(branch=branch, name="Old steam room", is_active=False)
    FacilityFactory(branch=branch, name="Cold plunge", under_maintenance=True)
    run = generate(branch, datetime.date(2026, 12, 1))
    assert run.created == 32 == len(starts(open_one))
    assert run.skipped == [
        {"facility": "Cold plunge", "reason": "under maintenance"},
        {"facility": "Old steam room", "reason": "inactive"},
    ]


def test_available_days_are_honoured():
    facility = FacilityFactory(available_days=[Weekday.SATURDAY, Weekday.SUNDAY], branch=BranchFactory(time_zone="UTC"))
    generate(facility.branch, datetime.date(2026, 11, 30), datetime.date(2026, 12, 6))  # Monday to Sunday
    assert {moment.date() for moment in starts(facility)} == {datetime.date(2026, 12, 5), datetime.date(2026, 12, 6)}


def test_a_facility_unavailable_all_range_is_reported():
    facility = FacilityFactory(available_days=[Weekday.SUNDAY], branch=BranchFactory(time_zone="UTC"))
    run = generate(facility.branch, datetime.date(2026, 11, 30), datetime.date(2026, 12, 1))
    assert run.skipped == [{"facility": facility.name, "reason": "not available on any day of the range"}]


def test_a_second_run_creates_nothing_and_writes_no_audit_entry():
    facility = FacilityFactory(branch=BranchFactory(time_zone="UTC"))
    first = generate(facility.branch, datetime.date(2026, 12, 1), datetime.date(2026, 12, 3))
    second = generate(facility.branch, datetime.date(2026, 12, 1), datetime.date(2026, 12, 3))
    assert (first.created, first.already_present) == (96, 0)
    assert (second.created, second.already_present) == (0, 96)
    entries = AuditLog.objects.filter(action="slots.generated", entity_id=str(facility.branch_id))
    assert entries.count() == 1
    entry = entries.get()
    assert entry.new_values == {"from": "2026-12-01", "to": "2026-12-03", "created": 96, "already_present": 0}
    assert (entry.actor_type, entry.actor_id, entry.source) == ("system", "test", "command")
    assert (entry.organization_id, entry.branch_id) == (facility.organization_id, facility.branch_id)


def test_dry_run_reports_and_changes_nothing():
    facility = FacilityFactory(branch=BranchFactory(time_zone="UTC"))
    run = generate(facility.branch, datetime.date(2026, 12, 1), dry_run=True)
    assert run.created == 32
    assert not BenefitSlot.objects.filter(facility=facility).exists()
    assert not AuditLog.objects.filter(entity_id=str(facility.branch_id)).exists()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (datetime.date(2026, 12, 2), datetime.date(2026, 12, 1), "end date 2026-12-01 is before start date 2026-12-02"),
        (
            datetime.date(2026, 1, 1),
            datetime.date(2027, 1, 5),
            "range of 370 days is longer than the limit of 366 days",
        ),
    ],
)
def test_bad_ranges_are_refused_by_name(start, end, message):
    branch = BranchFactory()
    with pytest.raises(RuleViolation, match=message) as refusal:
        generate(branch, start, end)
    assert refusal.value.code == "invalid_range"


def test_an_unknown_branch_is_refused():
    with pytest.raises(RuleViolation, match="unknown branch") as refusal:
        slots_ensure(
            branch_id=uuid.uuid4(),
            start_date=TODAY,
            end_date=TODAY,
            actor=Actor.system("test"),
            source="command",
        )
    assert refusal.value.code == "not_found"


def future_slot(facility, day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=UTC)


def test_rebuild_replaces_slots_the_settings_no_longer_produce_but_keeps_booked_ones():
    facility = FacilityFactory(branch=BranchFactory(time_zone="UTC"), capacity=4)
    settings = BenefitSettingFactory(facility=facility, opens_at=datetime.time(9), closes_at=datetime.time(11))
    day = TODAY + datetime.timedelta(days=3)
    generate(facility.branch, day)  # 09:00, 09:30, 10:00, 10:30
    booked = BenefitSlot.objects.get(facility=facility, starts_at=future_slot(facility, day, 10))
    BenefitBookingFactory(slot=booked, member=MemberFactory(home_branch=facility.branch))
    cancelled = BenefitBookingFactory(
        slot=BenefitSlot.objects.get(facility=facility, starts_at=future_slot(facility, day, 9)),
        member=MemberFactory(home_branch=facility.branch),
    )
    cancelled.status, cancelled.cancelled_at = BookingStatus.CANCELLED, timezone.now()
    cancelled.save()

    settings.slot_minutes = 60  # the hours stay, the slots get longer
    settings.save()
    run = generate(facility.branch, day, rebuild=True)

    assert (run.removed, run.kept) == (2, 2)  # 09:30 and 10:30 go; the 09:00 and 10:00 have bookings
    assert booked.pk in set(BenefitSlot.objects.filter(facility=facility).values_list("pk", flat=True))
    entry = AuditLog.objects.get(action="slots.rebuilt", entity_id=str(facility.branch_id))
    assert entry.new_values["kept_because"] == {"live bookings": 1, "only cancelled bookings": 1}


def test_rebuild_removes_the_slots_of_a_facility_under_maintenance():
    facility = FacilityFactory(branch=BranchFactory(time_zone="UTC"))
    day = TODAY + datetime.timedelta(days=2)
    generate(facility.branch, day)
    facility.under_maintenance = True
    facility.save()
    dry = generate(facility.branch, day, rebuild=True, dry_run=True)
    assert (dry.removed, dry.created) == (32, 0)
    assert BenefitSlot.objects.filter(facility=facility).count() == 32
    run = generate(facility.branch, day, rebuild=True)
    assert run.removed == 32 and not BenefitSlot.objects.filter(facility=facility).exists()


def test_rebuild_never_touches_past_slots():
    facility = FacilityFactory(branch=BranchFactory(time_zone="UTC"))
    yesterday = TODAY - datetime.timedelta(days=1)
    generate(facility.branch, yesterday)
    facility.under_maintenance = True
    facility.save()
    assert generate(facility.branch, yesterday, rebuild=True).removed == 0


# The member app: the function through PostgREST, as a member, as anon.


def member_claims(member) -> dict:
    return {
        "sub": str(member.auth_user_id),
        "role": "authenticated",
        "app_metadata": {"organization_id": str(member.organization_id)},
    }


def call_as(role: str, claims: dict, branch_id, start: datetime.date, end: datetime.date):
    with acting_as(role, claims) as cursor:
        cursor.execute("select * from public.ensure_facility_slots(%s, %s, %s)", [branch_id, start, end])
        return cursor.fetchone()


@pytest.fixture
def member_and_facility():
    facility = FacilityFactory(branch=BranchFactory(time_zone="Europe/London"))
    member = MemberFactory(home_branch=facility.branch, auth_user_id=uuid.uuid4())
    return member, facility


def test_a_member_can_generate_slots_through_the_function(member_and_facility):
    member, facility = member_and_facility
    start = TODAY + datetime.timedelta(days=1)
    with acting_as("authenticated", member_claims(member)) as cursor:
        ensure = "select * from public.ensure_facility_slots(%s, %s, %s)"
        cursor.execute(ensure, [facility.branch_id, start, start])
        assert cursor.fetchone() == (32, 0)
        cursor.execute(ensure, [facility.branch_id, start, start])
        assert cursor.fetchone() == (0, 32)
        cursor.execute("reset role")  # to read what the function recorded
        cursor.execute(
            "select actor_type, actor_id, source from audit_logs where action = 'slots.generated' and entity_id = %s",
            [str(facility.branch_id)],
        )
        assert cursor.fetchall() == [("member", str(member.auth_user_id), "rpc")]


def test_a_member_cannot_insert_slots_directly(member_and_facility):
    member, facility = member_and_facility
    with pytest.raises(DatabaseError) as refusal:
        with acting_as("authenticated", member_claims(member)) as cursor:
            cursor.execute(
                "insert into public.benefit_slots (organization_id, facility_id, starts_at, ends_at, capacity)"
                " values (%s, %s, now() + interval '1 day', now() + interval '25 hours', 4)",
                [facility.organization_id, facility.id],
            )
    assert sqlstate(refusal.value) == PERMISSION_DENIED


def test_anon_cannot_execute_it(member_and_facility):
    _, facility = member_and_facility
    with pytest.raises(DatabaseError) as refusal:
        call_as("anon", {"role": "anon"}, facility.branch_id, TODAY, TODAY)
    assert sqlstate(refusal.value) == PERMISSION_DENIED
    assert "permission denied for function ensure_facility_slots" in str(refusal.value)


def test_service_role_can_execute_it(member_and_facility):
    _, facility = member_and_facility
    start = TODAY + datetime.timedelta(days=1)
    assert call_as("service_role", {"role": "service_role"}, facility.branch_id, start, start) == (32, 0)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("past", "is in the past"),
        ("too_long", "range of 40 days is longer than the limit of 31 days"),
        ("other_organization", "unknown branch"),
        ("unknown_branch", "unknown branch"),
        ("end_before_start", "is before start date"),
        ("no_member", "no member of an organization behind this token"),
        ("forged_service_role", "no member of an organization behind this token"),
        ("beyond_window", "is beyond the booking window: slots here can be booked up to 7 days ahead"),
        ("year_9999", "9999-01-31 is beyond the booking window"),
    ],
)
def test_members_get_a_clear_message_for_each_bad_argument(member_and_facility, case, message):
    member, facility = member_and_facility
    start = TODAY + datetime.timedelta(days=2)
    branch_id, first, last, claims = facility.branch_id, start, start, member_claims(member)
    if case == "past":
        first = last = TODAY - datetime.timedelta(days=2)
    elif case == "too_long":
        last = start + datetime.timedelta(days=39)
    elif case == "other_organization":
        branch_id = BranchFactory().pk
    elif case == "unknown_branch":
        branch_id = uuid.uuid4()
    elif case == "end_before_start":
        last = start - datetime.timedelta(days=1)
    elif case == "no_member":
        claims = {**claims, "app_metadata": {}}
    elif case == "forged_service_role":  # a claim is no database role
        claims = {"role": "service_role"}
    elif case == "beyond_window":
        last = TODAY + datetime.timedelta(days=8)
    elif case == "year_9999":  # once 1,984 slots in one call
        first, last = datetime.date(9999, 1, 1), datetime.date(9999, 1, 31)
    with pytest.raises(DatabaseError, match=message):
        call_as("authenticated", claims, branch_id, first, last)
    assert not BenefitSlot.objects.filter(facility=facility).exists()


def test_a_member_session_claiming_service_role_is_still_a_member(member_and_facility):
    member, facility = member_and_facility
    far = TODAY + datetime.timedelta(days=60)
    with pytest.raises(DatabaseError, match="beyond the booking window"):
        call_as("authenticated", {**member_claims(member), "role": "service_role"}, facility.branch_id, far, far)
    assert not BenefitSlot.objects.filter(facility=facility).exists()


def test_members_open_slots_up_to_the_longest_booking_window_of_the_branch(member_and_facility):
    member, facility = member_and_facility
    BenefitSettingFactory(facility=FacilityFactory(branch=facility.branch, name="Far ahead"), booking_window_days=30)
    last_day = TODAY + datetime.timedelta(days=30)
    assert call_as("authenticated", member_claims(member), facility.branch_id, last_day, last_day) == (64, 0)
    day_after = last_day + datetime.timedelta(days=1)
    with pytest.raises(DatabaseError) as refusal:
        call_as("authenticated", member_claims(member), facility.branch_id, day_after, day_after)
    assert sqlstate(refusal.value) == "CS001"  # slot generation's own invalid_range, not PostgreSQL's 22023
    assert refusal.value.__cause__.diag.message_primary == (
        f"{day_after} is beyond the booking window: slots here can be booked up to 30 days ahead, until {last_day}"
    )


@pytest.mark.parametrize("status", [MemberStatus.FROZEN, MemberStatus.CANCELLED])
def test_frozen_and_cancelled_members_open_no_slots(member_and_facility, status):
    member, facility = member_and_facility
    member.status = status
    member.save()
    tomorrow = TODAY + datetime.timedelta(days=1)
    with pytest.raises(DatabaseError) as refusal:
        call_as("authenticated", member_claims(member), facility.branch_id, tomorrow, tomorrow)
    assert sqlstate(refusal.value) == "CB001"
    assert refusal.value.__cause__.diag.message_primary == f"The membership is {status}: only active members can book."
    assert not BenefitSlot.objects.filter(facility=facility).exists()
    assert not AuditLog.objects.filter(entity_id=str(facility.branch_id)).exists()


def test_the_apps_own_connection_without_claims_generates_as_itself(member_and_facility):
    _, facility = member_and_facility
    far = TODAY + datetime.timedelta(days=60)  # beyond members' window: staff are not held to it
    with acting_as("none", None) as cursor:
        cursor.execute("select * from public.ensure_facility_slots(%s, %s, %s)", [facility.branch_id, far, far])
        assert cursor.fetchone() == (32, 0)
        cursor.execute(
            "select actor_type, actor_id = session_user, source from audit_logs"
            " where action = 'slots.generated' and entity_id = %s",
            [str(facility.branch_id)],
        )
        assert cursor.fetchall() == [("system", True, "rpc")]


@pytest.mark.parametrize("forged", [{}, {"role": "service_role"}])
def test_the_apps_own_connection_with_a_members_claims_acts_for_that_member(member_and_facility, forged):
    """What the Django API's slots/generate does: the member's rules, whatever the claims say."""
    member, facility = member_and_facility
    far = TODAY + datetime.timedelta(days=60)
    with pytest.raises(DatabaseError, match="beyond the booking window"):
        call_as("none", {**member_claims(member), **forged}, facility.branch_id, far, far)
    assert not BenefitSlot.objects.filter(facility=facility).exists()


# The cron command.

# A day ahead in every zone, so that the command accepts it without --allow-past.
NEXT_WEEK = TODAY + datetime.timedelta(days=7)


def run_command(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("ensure_slots", *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def test_command_reports_progress_per_branch_and_a_summary():
    facility = FacilityFactory(branch=BranchFactory(name="Riverside", time_zone="UTC"))
    FacilityFactory(branch=facility.branch, name="Broken plunge", under_maintenance=True)
    status, output = run_command("--branch", str(facility.branch_id), "--start", str(NEXT_WEEK), "--days", "2")
    assert status == 0
    day_after = NEXT_WEEK + datetime.timedelta(days=1)
    assert f"Riverside (UTC) {NEXT_WEEK} to {day_after}: 64 created, 0 already present" in output
    assert "skipped Broken plunge: under maintenance" in output
    assert "1 branches: 64 slots created, 0 already present." in output


def test_command_json_output():
    facility = FacilityFactory(branch=BranchFactory(time_zone="UTC"))
    status, output = run_command(
        "--branch", str(facility.branch_id), "--start", str(NEXT_WEEK), "--end", str(NEXT_WEEK), "--json"
    )
    payload = json.loads(output)
    assert status == 0
    assert payload["totals"] == {"created": 32, "already_present": 0, "removed": 0, "kept": 0}
    assert payload["branches"][0]["from"] == str(NEXT_WEEK)


def test_command_default_start_is_today_in_the_branch_zone():
    facility = FacilityFactory(branch=BranchFactory(time_zone="Pacific/Kiritimati"))  # UTC+14
    run_command("--branch", str(facility.branch_id), "--days", "1")
    local_today = timezone.localtime(timezone.now(), ZoneInfo("Pacific/Kiritimati")).date()
    assert {moment.astimezone(ZoneInfo("Pacific/Kiritimati")).date() for moment in starts(facility)} == {local_today}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "--days 0 is out of range: give a number of days from 1 to 366"),
        (["--days", "-3"], "--days -3 is out of range: give a number of days from 1 to 366"),
        (["--days", "99999999999999999999"], "--days 99999999999999999999 is out of range: give a number of days"),
        (["--days", "400"], "--days 400 is out of range"),
        (["--days", "many"], "argument --days: invalid int value: 'many'"),
        (["--start", "9999-12-31", "--days", "5"], "--start 9999-12-31 is out of range: give a day from"),
        (["--end", "9999-12-31"], "--end 9999-12-31 is out of range: give a day from"),
        (["--start", "12/31/9999"], "argument --start: '12/31/9999' is not a day: write it YYYY-MM-DD"),
        (["--start", "2026-02-30"], "argument --start: '2026-02-30' is not a day"),
        ([f"--start={NEXT_WEEK + datetime.timedelta(days=1)}", f"--end={NEXT_WEEK}"], "is before the start date"),
        ([f"--start={NEXT_WEEK}", f"--end={NEXT_WEEK + datetime.timedelta(days=400)}"], "at most 366 days"),
        (["--days", "2", "--end", str(NEXT_WEEK)], "argument --end: not allowed with argument --days"),
        (["--branch", "00000000-0000-0000-0000-000000000009"], "unknown branch"),
        (["--branch", "nine"], "argument --branch: invalid UUID value: 'nine'"),
    ],
)
def test_command_bad_arguments_exit_2_naming_the_argument_and_changing_nothing(args, message):
    facility = FacilityFactory(branch=BranchFactory(time_zone="UTC"))
    status, output = run_command(*args)
    assert status == 2
    assert message in output
    assert not BenefitSlot.objects.filter(facility=facility).exists()


def test_a_start_in_the_past_is_refused_unless_asked_for():
    facility = FacilityFactory(branch=BranchFactory(name="Riverside", time_zone="Pacific/Kiritimati"))  # UTC+14
    today = timezone.localtime(timezone.now(), ZoneInfo("Pacific/Kiritimati")).date()
    yesterday = str(today - datetime.timedelta(days=1))
    status, message = run_command("--branch", str(facility.branch_id), "--start", yesterday, "--days", "1")
    assert status == 2
    assert message == (
        f"--start {yesterday} is before today at Riverside ({today} in Pacific/Kiritimati): "
        "its slots would already have ended; add --allow-past to create them anyway"
    )
    assert not BenefitSlot.objects.filter(facility=facility).exists()
    status, _ = run_command("--branch", str(facility.branch_id), "--start", yesterday, "--days", "1", "--allow-past")
    assert status == 0
    assert len(starts(facility)) == 32


def test_one_branch_in_the_past_stops_the_run_before_any_branch_changes():
    """The same date is today in London and already yesterday at UTC+14."""
    ahead = FacilityFactory(branch=BranchFactory(name="Ahead", time_zone="Pacific/Kiritimati"))
    behind = FacilityFactory(branch=BranchFactory(name="Behind", time_zone="Pacific/Pago_Pago"))  # UTC-11
    behind_today = str(timezone.localtime(timezone.now(), ZoneInfo("Pacific/Pago_Pago")).date())
    status, message = run_command(
        "--branch", str(behind.branch_id), "--branch", str(ahead.branch_id), "--start", behind_today, "--days", "1"
    )
    assert status == 2 and "before today at Ahead" in message
    assert not BenefitSlot.objects.filter(facility__in=[ahead, behind]).exists()


def test_dry_run_and_json_still_work_with_allow_past():
    facility = FacilityFactory(branch=BranchFactory(time_zone="UTC"))
    last_week = str(TODAY - datetime.timedelta(days=7))
    status, output = run_command(
        "--branch", str(facility.branch_id), "--start", last_week, "--days", "1", "--allow-past", "--dry-run", "--json"
    )
    payload = json.loads(output)
    assert (status, payload["dry_run"], payload["totals"]["created"]) == (0, True, 32)
    assert not BenefitSlot.objects.filter(facility=facility).exists()


PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_four_concurrent_runs_in_separate_processes_make_exactly_the_expected_rows():
    """Four cron hosts at the same minute: no failure, no duplicate."""
    ids = {name: uuid.uuid4() for name in ("organization", "branch", "sauna", "plunge")}
    with committed_connection() as db:
        db.execute("insert into organizations (id, name, slug) values (%(organization)s, 'Race club', %(slug)s)",
                   {**ids, "slug": f"race-{ids['organization']}"})  # fmt: skip
        db.execute(
            "insert into branches (id, organization_id, name, time_zone, address)"
            " values (%(branch)s, %(organization)s, 'Race branch', 'Europe/London', '')",
            ids,
        )
        for facility in ("sauna", "plunge"):
            db.execute(
                "insert into facilities (id, organization_id, branch_id, name, kind, capacity)"
                " values (%s, %s, %s, %s, 'sauna', 4)",
                [ids[facility], ids["organization"], ids["branch"], facility],
            )
    try:
        environment = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"}
        command = [sys.executable, "manage.py", "ensure_slots", "--branch", str(ids["branch"]),
                   "--start", str(NEXT_WEEK), "--days", "14"]  # fmt: skip
        processes = [
            subprocess.Popen(command, cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        outcomes = [process.communicate(timeout=120) + (process.returncode,) for process in processes]
        assert [returncode for *_, returncode in outcomes] == [0, 0, 0, 0], outcomes
        created = sorted(int(out.decode().split(": ")[1].split(" created")[0]) for out, _, _ in outcomes)
        assert created == [0, 0, 0, 2 * 14 * 32]
        with connection.cursor() as cursor:
            cursor.execute(
                "select count(*), count(distinct (facility_id, starts_at)) from benefit_slots"
                " where facility_id = any(%s)",
                [[ids["sauna"], ids["plunge"]]],
            )
            assert cursor.fetchone() == (896, 896)
            cursor.execute("select count(*) from audit_logs where action = 'slots.generated' and entity_id = %s",
                           [str(ids["branch"])])  # fmt: skip
            assert cursor.fetchone() == (1,)
    finally:
        with committed_connection() as cleanup:
            cleanup.execute("set session_replication_role = replica")  # past the append-only triggers
            cleanup.execute("delete from benefit_slots where organization_id = %s", [ids["organization"]])
            cleanup.execute("delete from facilities where organization_id = %s", [ids["organization"]])
            cleanup.execute("delete from audit_pending where chain = %s", [ids["organization"]])
            cleanup.execute("delete from audit_logs where organization_id = %s", [ids["organization"]])
            cleanup.execute("delete from branches where organization_id = %s", [ids["organization"]])
            cleanup.execute("delete from organizations where id = %s", [ids["organization"]])


def test_a_failing_branch_exits_1_and_the_others_still_complete(monkeypatch):
    from django.db import DatabaseError

    from facilities.management.commands import ensure_slots as command_module

    broken = FacilityFactory(branch=BranchFactory(name="Broken", time_zone="UTC")).branch
    healthy = FacilityFactory(branch=BranchFactory(name="Healthy", time_zone="UTC"))

    def failing_for_one(**arguments):
        if arguments["branch_id"] == broken.pk:
            raise DatabaseError("disk full")
        return slots_ensure(**arguments)

    monkeypatch.setattr(command_module, "slots_ensure", failing_for_one)
    status, message = run_command(
        "--branch", str(broken.pk), "--branch", str(healthy.branch_id), "--start", str(NEXT_WEEK), "--days", "1"
    )
    assert (status, message) == (1, "1 of 2 branches failed")
    assert len(starts(healthy)) == 32


def test_a_lost_connection_stops_the_run_instead_of_failing_each_branch(monkeypatch):
    from django.db import OperationalError

    from facilities.management.commands import ensure_slots as command_module

    FacilityFactory(branch=BranchFactory(time_zone="UTC"))
    FacilityFactory(branch=BranchFactory(time_zone="UTC"))
    attempts = []

    def connection_lost(**arguments):
        attempts.append(arguments["branch_id"])
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(command_module, "slots_ensure", connection_lost)
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    with pytest.raises(OperationalError):  # manage.py tells it in one line (config/tests/test_commands.py)
        run_command("--start", str(NEXT_WEEK), "--days", "1")
    assert len(attempts) == 1
