"""Each report's figures against the hand-made club's, counted by hand (reports/tests/data.py), at a
New York branch across the day its clocks go forward, and at a Sydney branch across the day its
clocks go back: an 07:00 class is in the 07 hour on both sides of the change."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from reports.periods import Period
from reports.selectors import (
    CLASS,
    FACILITY,
    Outcomes,
    OverrideFigures,
    Subject,
    Usage,
    Waits,
    attendance,
    overrides,
    utilisation,
    waitlists,
)
from reports.tests.data import sydney_club

pytestmark = pytest.mark.django_db

SPIN, SAUNA = Subject(CLASS, "Spin"), Subject(FACILITY, "Sauna")
MONDAY, SATURDAY = 1, 6


def period_of(club) -> Period:
    return Period(club.branch, club.first, club.last)


def test_utilisation_by_weekday_and_hour_on_the_branchs_clock(club, django_assert_num_queries):
    with django_assert_num_queries(1):
        figures = utilisation(period_of(club))
    # Saturday is before the clocks go forward (07:00 EST is 12:00 UTC), Monday after (07:00 EDT
    # is 11:00 UTC): both are the 07 hour. The cancelled Yoga at 18:30 offered no place.
    assert figures.cells_of(None) == {
        (SATURDAY, 7): Usage(sessions=2, places=4, booked=4, attended=2),
        (MONDAY, 7): Usage(sessions=2, places=4, booked=2, attended=2),
        (MONDAY, 18): Usage(sessions=1, places=2, booked=4, attended=2),
    }
    assert figures.cells_of(SPIN) == {
        (SATURDAY, 7): Usage(1, 2, 3, 1),  # Ann attended, Ben no-show, Fay by override; Eve cancelled late
        (MONDAY, 7): Usage(1, 2, 2, 2),  # Ben and Cat (promoted) attended; Ann cancelled in time
    }
    assert figures.cells_of(SAUNA) == {
        (SATURDAY, 7): Usage(1, 2, 1, 1),
        (MONDAY, 7): Usage(1, 2, 0, 0),
        (MONDAY, 18): Usage(1, 2, 4, 2),  # two places, two overrides: 4 of 2
    }
    assert figures.subjects == {SPIN: Usage(2, 4, 5, 3), SAUNA: Usage(3, 6, 5, 3)}
    assert list(figures.subjects) == [SPIN, SAUNA]  # classes, then facilities, each by name
    assert figures.total == Usage(5, 10, 10, 6)
    assert figures.hours == range(7, 19)
    assert figures.cells_of(SAUNA)[(MONDAY, 18)].booked_share == 2.0


def test_attendance_week_by_week(club, django_assert_num_queries):
    with django_assert_num_queries(1):
        figures = attendance(period_of(club))
    assert [(week.first, week.last) for week in figures.weeks] == [
        (club.first, club.day),
        (club.day + datetime.timedelta(days=1), club.last),
    ]
    assert figures.weeks_of(SPIN)[0][1] == Outcomes(attended=1, no_show=1, late_cancelled=1, not_marked=1)
    assert figures.weeks_of(SPIN)[1][1] == Outcomes(attended=2)
    assert figures.weeks_of(SAUNA)[0][1] == Outcomes(attended=1)
    assert figures.weeks_of(SAUNA)[1][1] == Outcomes(attended=2, no_show=1, not_marked=1)
    assert [outcomes for _, outcomes in figures.weeks_of(None)] == [Outcomes(2, 1, 1, 1), Outcomes(4, 1, 0, 1)]
    assert figures.subjects == {SPIN: Outcomes(3, 1, 1, 1), SAUNA: Outcomes(3, 1, 0, 1)}
    total = figures.total
    assert (total.booked, total.attended, total.no_show, total.late_cancelled, total.not_marked) == (11, 6, 2, 1, 2)
    assert (round(total.share(total.attended), 3), round(total.share(total.no_show), 3)) == (0.545, 0.182)


def test_waitlists_joined_promoted_left_and_the_wait(club, django_assert_num_queries):
    with django_assert_num_queries(1):
        figures = waitlists(period_of(club))
    three_hours = 3 * 3600
    assert figures.subjects == {
        # Cat promoted after 3 hours when Ann cancelled, Dan still waiting, Eve left
        SPIN: Waits(joined=3, promoted=1, left=1, still_waiting=1, median_seconds=three_hours,
                    average_seconds=three_hours),
        SAUNA: Waits(joined=1, promoted=0, left=0, still_waiting=1),  # Kim: nobody cancelled
    }  # fmt: skip
    assert figures.total == Waits(4, 1, 1, 2, three_hours, three_hours)
    assert (figures.total.never_promoted, figures.total.promoted_share) == (3, 0.25)


def test_overrides_per_staff_member_and_reason(club, django_assert_num_queries):
    with django_assert_num_queries(1):
        figures = overrides(period_of(club))
    morgan, jo = figures.staff
    assert (morgan.name, morgan.user_id) == ("Morgan Lead", club.staff["manager"].pk)
    # Ivy: 3 of 2 (one place beyond), Jon: 4 of 2 (two beyond); the newest note first
    assert morgan.figures == OverrideFigures(2, 2, 0, 3, 2, ["Physio referral", "Guest of the owner"])
    assert morgan.figures.average_beyond == 1.5
    assert morgan.by_reason == {
        "medical": OverrideFigures(1, 1, 0, 2, 2, ["Physio referral"]),
        "vip": OverrideFigures(1, 1, 0, 1, 1, ["Guest of the owner"]),
    }
    assert (jo.name, jo.figures) == ("Jo Park", OverrideFigures(1, 1, 0, 1, 1, ["Double-booked by the desk"]))
    assert list(jo.by_reason) == ["staff_error"]
    # the override a week later is outside the period
    assert (figures.total.overrides, figures.total.places_beyond, figures.total.most_beyond) == (3, 4, 2)


def test_a_deleted_staff_users_overrides_stay_counted(club):
    club.staff["jo"].delete()
    staff = overrides(period_of(club)).staff
    assert [(row.name, row.figures.overrides) for row in staff] == [("Morgan Lead", 2), ("A deleted staff user", 1)]


def test_each_report_reads_only_its_branch_and_period(club):
    later = Period(club.branch, club.last + datetime.timedelta(days=1), club.last + datetime.timedelta(days=7))
    assert utilisation(later).total == Usage(1, 2, 3, 0)  # the Spin a week later: Ann, Ben, Cat's override
    assert attendance(later).total == Outcomes(not_marked=3)
    assert waitlists(later).total == Waits()
    assert overrides(later).total.overrides == 1
    other = Period(sydney_club()[0], club.first, club.last)
    assert utilisation(other).total == Usage()


def test_an_0700_class_is_in_the_07_hour_either_side_of_sydneys_change_of_clocks():
    branch, day = sydney_club()
    period = Period(branch, day - datetime.timedelta(days=1), day + datetime.timedelta(days=1))
    # Saturday at 07:00 AEDT is 20:00 UTC the day before; Monday at 07:00 AEST is 21:00 UTC
    assert utilisation(period).cells_of(None) == {(SATURDAY, 7): Usage(1, 4, 1, 1), (MONDAY, 7): Usage(1, 4, 1, 1)}
    assert period.zone_label == "AEDT, then AEST"
    assert attendance(period).total == Outcomes(attended=2)


def test_a_period_of_nothing_has_no_figures(db):
    branch, day = sydney_club()
    period = Period(branch, day + datetime.timedelta(days=30), day + datetime.timedelta(days=40))
    assert (utilisation(period).total, utilisation(period).cells, utilisation(period).hours) == (Usage(), {}, range(0))
    assert (attendance(period).total, attendance(period).by_week) == (Outcomes(), {})
    assert (waitlists(period).total, waitlists(period).subjects) == (Waits(), {})
    assert (overrides(period).total, overrides(period).staff) == (OverrideFigures(), [])


def test_the_latest_notes_are_each_said_once(club):
    from bookings.services import Override
    from members.tests.factories import MemberFactory
    from reports.tests.data import book

    guest = MemberFactory(home_branch=club.branch)
    book(club.items["sauna_mon_eve"], guest, by=club.staff["manager"], override=Override("vip", "Guest of the owner"))
    morgan = overrides(period_of(club)).staff[0]
    assert morgan.figures.notes == ["Guest of the owner", "Physio referral"]
    assert morgan.by_reason["vip"].notes == ["Guest of the owner"]
    assert (morgan.figures.overrides, morgan.figures.most_beyond) == (3, 3)  # 5 of 2


def test_what_a_closure_covered_was_not_offered(club):
    before = utilisation(period_of(club)).total
    assert before.sessions > 0
    with connection.cursor() as cursor:  # a closure of the past, written as the table's owner
        cursor.execute("set constraints all immediate")
        cursor.execute("alter table public.closures disable trigger closures_check")
        cursor.execute(
            "insert into public.closures (organization_id, branch_id, starts_at, ends_at, reason)"
            " values (%s, %s, %s, %s, 'holiday') returning id",
            [club.branch.organization_id, club.branch.pk, period_of(club).start, period_of(club).end],
        )
        (closure_id,) = cursor.fetchone()
        cursor.execute("alter table public.closures enable trigger closures_check")
    assert utilisation(period_of(club)).total == Usage()
    # reopened before any of it started: everything was offered after all
    with connection.cursor() as cursor:
        cursor.execute("alter table public.closures disable trigger closures_check")
        cursor.execute(
            "update public.closures set reopened_at = %s where id = %s",
            [period_of(club).start - datetime.timedelta(days=1), closure_id],
        )
        cursor.execute("alter table public.closures enable trigger closures_check")
    assert utilisation(period_of(club)).total == before
