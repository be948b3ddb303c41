"""The weekly timetable made into classes: on the branch's clock across daylight saving changes,
once (a second run, or one at the same moment, creates nothing), from the cron command."""

from __future__ import annotations

import datetime
import json
import threading
import uuid
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditLog
from audit.services import Actor
from classes.models import ScheduledClass
from classes.services import classes_ensure
from classes.tests.factories import ClassTimetableEntryFactory, ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from config.errors import RuleViolation
from config.testing import committed_connection
from config.tests.clock import interesting_day, local

pytestmark = pytest.mark.django_db

WEEK = datetime.timedelta(days=7)
NEXT_WEEK = datetime.date.today() + WEEK
DST_ZONES = ["America/New_York", "Australia/Sydney"]


def generate(branch, start: datetime.date, end: datetime.date, **options):
    return classes_ensure(
        branch_id=branch.pk, start_date=start, end_date=end, actor=Actor.system("test"), source="command", **options
    )


def classes_of(entry) -> list[ScheduledClass]:
    return list(ScheduledClass.objects.filter(timetable_entry=entry).order_by("starts_at"))


def weekly(zone: str, day: datetime.date, hour: int, minute: int = 0, **fields):
    """An entry held on `day`'s weekday at hour:minute at a branch in `zone`."""
    return ClassTimetableEntryFactory(
        branch=BranchFactory(time_zone=zone),
        weekday=day.isoweekday(),
        starts_at_local=datetime.time(hour, minute),
        valid_from=day - 4 * WEEK,
        **fields,
    )


@pytest.mark.parametrize("zone", DST_ZONES)
@pytest.mark.parametrize("case", ["clocks_forward", "clocks_back"])
def test_a_seven_oclock_class_is_at_seven_local_on_both_sides_of_a_change(zone, case):
    day = interesting_day(zone, case)
    entry = weekly(zone, day, 7, duration_minutes=45)
    run = generate(entry.branch, day - WEEK, day + WEEK)
    assert (run.created, run.already_present) == (3, 0)
    classes = classes_of(entry)
    assert [scheduled.starts_at for scheduled in classes] == [
        local(day - WEEK, 7, 0, zone),
        local(day, 7, 0, zone),
        local(day + WEEK, 7, 0, zone),
    ]
    assert [scheduled.timetable_date for scheduled in classes] == [day - WEEK, day, day + WEEK]
    # the offset really changed between the first and the last
    assert (
        classes[0].starts_at.astimezone(ZoneInfo(zone)).utcoffset()
        != classes[2].starts_at.astimezone(ZoneInfo(zone)).utcoffset()
    )
    assert {scheduled.ends_at - scheduled.starts_at for scheduled in classes} == {datetime.timedelta(minutes=45)}
    assert {(scheduled.title, scheduled.room, scheduled.capacity) for scheduled in classes} == {
        (entry.title, "Studio 1", 16)
    }


@pytest.mark.parametrize("zone", DST_ZONES)
def test_a_start_that_does_not_exist_moves_on_by_the_gap(zone):
    """02:30 on the day clocks go forward from 02:00 to 03:00 is held at 03:30, for its full hour."""
    day = interesting_day(zone, "clocks_forward")
    entry = weekly(zone, day, 2, 30, duration_minutes=60)
    generate(entry.branch, day, day)
    (scheduled,) = classes_of(entry)
    assert scheduled.starts_at == local(day, 3, 30, zone)
    assert scheduled.ends_at - scheduled.starts_at == datetime.timedelta(minutes=60)
    assert scheduled.timetable_date == day


@pytest.mark.parametrize(("zone", "hour"), [("America/New_York", 1), ("Australia/Sydney", 2)])
def test_a_start_that_happens_twice_is_held_once_at_the_second(zone, hour):
    day = interesting_day(zone, "clocks_back")
    entry = weekly(zone, day, hour, 30)
    generate(entry.branch, day, day)
    (scheduled,) = classes_of(entry)
    # (a time in the fold compares unequal across zones: compare in UTC)
    first, second = (
        datetime.datetime.combine(day, datetime.time(hour, 30, fold=fold), tzinfo=ZoneInfo(zone)).astimezone(
            datetime.UTC
        )
        for fold in (0, 1)
    )
    assert scheduled.starts_at == second != first


def test_only_the_entrys_weekday_between_valid_from_and_valid_until():
    monday = NEXT_WEEK - datetime.timedelta(days=NEXT_WEEK.weekday())
    entry = ClassTimetableEntryFactory(
        branch=BranchFactory(time_zone="America/New_York"),
        weekday=3,
        valid_from=monday + WEEK,
        valid_until=monday + 2 * WEEK + datetime.timedelta(days=2),  # the second Wednesday, inclusive
    )
    run = generate(entry.branch, monday, monday + 5 * WEEK)
    assert run.created == 2
    assert [scheduled.timetable_date for scheduled in classes_of(entry)] == [
        monday + WEEK + datetime.timedelta(days=2),
        monday + 2 * WEEK + datetime.timedelta(days=2),
    ]


def test_a_second_run_creates_nothing_and_only_the_first_writes_an_audit_entry():
    day = NEXT_WEEK
    entry = weekly("America/New_York", day, 7)
    ClassTimetableEntryFactory(branch=entry.branch, weekday=day.isoweekday(), starts_at_local=datetime.time(18))
    first = generate(entry.branch, day, day + 2 * WEEK)
    second = generate(entry.branch, day, day + 2 * WEEK)
    assert (first.created, first.already_present) == (6, 0)
    assert (second.created, second.already_present) == (0, 6)
    assert ScheduledClass.objects.filter(branch=entry.branch).count() == 6
    entry_log = AuditLog.objects.get(action="classes.generated", entity_id=str(entry.branch_id))
    assert entry_log.new_values == {
        "from": day.isoformat(), "to": (day + 2 * WEEK).isoformat(), "created": 6, "already_present": 0,
    }  # fmt: skip
    assert (entry_log.actor_type, entry_log.actor_id, entry_log.source) == ("system", "test", "command")
    assert (entry_log.organization_id, entry_log.branch_id) == (entry.organization_id, entry.branch_id)


def test_one_off_classes_and_classes_already_made_are_left_as_they_are():
    day = NEXT_WEEK
    entry = weekly("America/New_York", day, 7)
    one_off = ScheduledClassFactory(branch=entry.branch, starts_at=local(day, 7, 0, "America/New_York"))
    generate(entry.branch, day, day)
    moved = classes_of(entry)[0]
    moved.starts_at = local(day, 8, 0, "America/New_York")
    moved.ends_at = local(day, 9, 0, "America/New_York")
    moved.save()
    assert generate(entry.branch, day, day).created == 0
    assert classes_of(entry)[0].starts_at == local(day, 8, 0, "America/New_York")
    one_off.refresh_from_db()
    assert (one_off.timetable_entry_id, one_off.timetable_date) == (None, None)
    assert ScheduledClass.objects.filter(branch=entry.branch).count() == 2


def test_dry_run_counts_and_writes_nothing():
    entry = weekly("America/New_York", NEXT_WEEK, 7)
    run = generate(entry.branch, NEXT_WEEK, NEXT_WEEK + WEEK, dry_run=True)
    assert (run.created, run.already_present) == (2, 0)
    assert not ScheduledClass.objects.filter(branch=entry.branch).exists()
    assert not AuditLog.objects.filter(entity_id=str(entry.branch_id)).exists()


def test_a_backwards_range_is_refused_in_words():
    branch = BranchFactory()
    with pytest.raises(RuleViolation, match="is before start date"):
        generate(branch, NEXT_WEEK, NEXT_WEEK - WEEK)


def run_command(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("ensure_classes", *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def test_command_reports_classes_created_per_branch_and_a_summary():
    entry = weekly("America/New_York", NEXT_WEEK, 7)
    entry.branch.name = "Harbourfront"
    entry.branch.save()
    args = ("--branch", str(entry.branch_id), "--start", str(NEXT_WEEK), "--days", "14")
    status, output = run_command(*args)
    last = NEXT_WEEK + datetime.timedelta(days=13)
    assert status == 0
    assert f"Harbourfront (America/New_York) {NEXT_WEEK} to {last}: 2 classes created, 0 already present" in output
    assert "1 branches: 2 classes created, 0 already present." in output
    assert "0 classes created, 2 already present" in run_command(*args)[1]


def test_command_dry_run_and_json():
    entry = weekly("America/New_York", NEXT_WEEK, 7)
    status, output = run_command(
        "--branch", str(entry.branch_id), "--start", str(NEXT_WEEK), "--end", str(NEXT_WEEK), "--json", "--dry-run"
    )
    payload = json.loads(output)
    assert status == 0
    assert payload["dry_run"] is True
    assert payload["totals"] == {"created": 1, "already_present": 0}
    assert payload["branches"][0]["from"] == str(NEXT_WEEK)
    assert not ScheduledClass.objects.filter(branch=entry.branch).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # the same checks, in the same words, as ensure_slots (clubs.runs.run_period)
        (("--start", "2020-01-01"), "--start 2020-01-01 is before today"),
        (("--start", "2020-01-01"), "its classes would already be over"),
        (("--days", "0"), "--days 0 is out of range"),
        (("--days", "400"), "--days 400 is out of range: give a number of days from 1 to 366"),
        (("--start", "9999-12-30", "--days", "5"), "--start 9999-12-30 is out of range"),
        (("--end", "2020-01-01"), "--end 2020-01-01 is out of range"),
    ],
)
def test_command_bad_arguments_exit_2_and_change_nothing(args, message):
    entry = weekly("America/New_York", NEXT_WEEK, 7)
    status, output = run_command("--branch", str(entry.branch_id), *args)
    assert (status, message in output) == (2, True), output
    assert not ScheduledClass.objects.filter(branch=entry.branch).exists()


def test_two_runs_at_the_same_moment_make_each_class_once():
    """The second run waits on the first's rows and, once they commit, skips them: no failure,
    no duplicate, one audit entry."""
    ids = {name: uuid.uuid4() for name in ("organization", "branch", "entry")}
    call = "select created from app_private.generate_classes(%s, %s, %s, 'command', 'system', 'race', 'race')"
    arguments = [ids["branch"], NEXT_WEEK, NEXT_WEEK + 3 * WEEK]
    with committed_connection() as db:
        db.execute("insert into organizations (id, name, slug) values (%(organization)s, 'Race club', %(slug)s)",
                   {**ids, "slug": f"race-{ids['organization']}"})  # fmt: skip
        db.execute(
            "insert into branches (id, organization_id, name, time_zone, address)"
            " values (%(branch)s, %(organization)s, 'Race branch', 'America/New_York', '')",
            ids,
        )
        db.execute(
            "insert into class_timetable (id, organization_id, branch_id, title, instructor, room, weekday,"
            " starts_at_local, duration_minutes, capacity, valid_from)"
            " values (%(entry)s, %(organization)s, %(branch)s, 'Spin', '', '', %(weekday)s, '07:00', 45, 10,"
            " current_date)",
            {**ids, "weekday": NEXT_WEEK.isoweekday()},
        )
    try:
        with committed_connection() as first, committed_connection() as second:
            created = {}
            assert first.execute(call, arguments).fetchone() == (4,)  # not committed yet

            def run_second():
                created["second"] = second.execute(call, arguments).fetchone()[0]
                second.commit()

            racer = threading.Thread(target=run_second)
            racer.start()
            racer.join(timeout=1)
            assert racer.is_alive()  # waiting on the first run's rows
            first.commit()
            racer.join(timeout=30)
            assert created == {"second": 0}
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from classes where timetable_entry_id = %s", [ids["entry"]])
            assert cursor.fetchone() == (4,)
            cursor.execute(
                "select count(*) from audit_logs where action = 'classes.generated' and entity_id = %s",
                [str(ids["branch"])],
            )
            assert cursor.fetchone() == (1,)
    finally:
        with committed_connection() as cleanup:
            cleanup.execute("set session_replication_role = replica")  # past the append-only triggers
            cleanup.execute("delete from classes where organization_id = %s", [ids["organization"]])
            cleanup.execute("delete from class_timetable where organization_id = %s", [ids["organization"]])
            cleanup.execute("delete from audit_pending where chain = %s", [ids["organization"]])
            cleanup.execute("delete from audit_logs where organization_id = %s", [ids["organization"]])
            cleanup.execute("delete from branches where organization_id = %s", [ids["organization"]])
            cleanup.execute("delete from organizations where id = %s", [ids["organization"]])
