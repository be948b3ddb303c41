"""The demo's four weeks of history: every outcome at each branch, the engine's rules and audit
entries kept, the chain verifiable, loading again adding nothing; and the timetable."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditLog
from audit.services import Actor
from bookings.models import BookingStatus, ItemBooking
from bookings.services import booking_create
from classes.models import ClassTimetableEntry, ScheduledClass
from clubs.models import Branch, local_day_bounds
from config.errors import RuleViolation
from demo.history import HISTORY_DAYS, demo_history_seed
from demo.seed import demo_data_seed, demo_key

pytestmark = pytest.mark.django_db

# Four weeks across both changes of the clocks (New York on 8 March 2026, London on 29 March).
NOW = datetime.datetime(2026, 4, 3, 12, tzinfo=datetime.UTC)
HOLDING = ["confirmed", "attended", "no_show"]


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    """Loaded once for the module's tests (each runs in a savepoint inside), in a transaction
    rolled back after them: the audit trail's entries cannot be deleted."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo_data_seed(today=NOW.date())
        yield demo_history_seed(now=NOW)
        transaction.set_rollback(True)


def branches() -> list[Branch]:
    return list(Branch.objects.filter(organization_id=demo_key("organization")).order_by("name"))


def window(branch: Branch, now: datetime.datetime = NOW) -> tuple[datetime.datetime, datetime.datetime]:
    today = now.astimezone(branch.zone).date()
    return local_day_bounds(today - datetime.timedelta(days=HISTORY_DAYS), branch.zone)[0], local_day_bounds(
        today, branch.zone
    )[0]


def booked(branch: Branch):
    start, end = window(branch)
    return ItemBooking.objects.filter(branch=branch, starts_at__gte=start, starts_at__lt=end)


def entries(branch: Branch, action: str):
    start, end = window(branch)
    return AuditLog.objects.filter(
        branch_id=branch.pk, action=action, occurred_at__gte=start - datetime.timedelta(days=8), occurred_at__lt=end
    )


def rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_each_branch_has_four_weeks_of_every_outcome(history):
    assert history.branches == 2 and history.bookings > 5000
    for branch in branches():
        bookings = booked(branch)
        assert bookings.filter(status=BookingStatus.ATTENDED, checked_in_at__isnull=False).count() > 1000
        assert bookings.filter(status=BookingStatus.NO_SHOW).count() > 50
        assert bookings.filter(status=BookingStatus.CANCELLED, is_late_cancellation=True).count() > 20
        in_time = {
            entry.entity_id
            for entry in entries(branch, "booking.cancelled")
            if entry.old_values["status"] == "confirmed"
        }
        assert bookings.filter(status=BookingStatus.CANCELLED, is_late_cancellation=False, pk__in=in_time).count() > 20
        # waitlists: moved up when a place freed, and never
        joined = set(entries(branch, "booking.waitlisted").values_list("entity_id", flat=True))
        moved_up = set(entries(branch, "booking.waitlist_promoted").values_list("entity_id", flat=True))
        assert moved_up and moved_up <= joined
        assert bookings.filter(pk__in=moved_up, status__in=["attended", "no_show"]).count() == len(moved_up)
        never = bookings.filter(pk__in=joined - moved_up)
        assert never.filter(status=BookingStatus.WAITLISTED).exists()
        assert never.filter(status=BookingStatus.CANCELLED).exists()  # left the waitlist themselves
        # the manager's overrides, with a reason, the capacity and the places taken before
        overrides = bookings.filter(capacity_override=True)
        assert overrides.exists()
        for override in overrides:
            assert override.booked_by_user.username == "manager"
            assert override.override_reason_code and override.override_reason
            assert override.overridden_rules == ["capacity"]
            assert override.capacity_at_booking == override.item.capacity
            assert override.places_taken_before >= override.capacity_at_booking
        # every day of the four weeks, its classes made from the timetable as the generator makes them
        classes = ScheduledClass.objects.filter(pk__in=bookings.filter(kind="class").values("item_id"))
        days = {scheduled.starts_at.astimezone(branch.zone).date() for scheduled in classes}
        assert len(days) == HISTORY_DAYS
        for scheduled in classes.select_related("timetable_entry"):
            assert scheduled.timetable_date == scheduled.starts_at.astimezone(branch.zone).date()
            assert scheduled.starts_at.astimezone(branch.zone).time() == scheduled.timetable_entry.starts_at_local
        assert bookings.filter(kind="slot").count() > 1000


def test_popular_times_are_fuller_than_quiet_ones(history):
    for branch in branches():
        start, end = window(branch)
        fill = dict(
            rows(
                """
                with taken as (
                    select class_id as id, count(*) as places from class_bookings
                    where status = any(%(holding)s) group by 1
                    union all
                    select slot_id, count(*) from benefit_bookings where status = any(%(holding)s) group by 1
                ),
                item as (
                    select c.id, c.title, c.starts_at, c.capacity from classes c
                    where c.branch_id = %(branch)s and c.starts_at >= %(start)s and c.starts_at < %(end)s
                    union all
                    select s.id, f.name, s.starts_at, s.capacity from benefit_slots s
                    join facilities f on f.id = s.facility_id
                    where f.branch_id = %(branch)s and s.starts_at >= %(start)s and s.starts_at < %(end)s
                      and extract(isodow from s.starts_at at time zone %(zone)s) < 6
                )
                select to_char(item.starts_at at time zone %(zone)s, 'HH24:MI') || ' ' || item.title,
                       avg(coalesce(taken.places, 0)::numeric / item.capacity)
                from item left join taken using (id) group by 1
                """,
                {"holding": HOLDING, "branch": branch.pk, "start": start, "end": end, "zone": branch.time_zone},
            )
        )
        assert fill["07:00 Spin"] > 0.85 and fill["18:00 HIIT"] > 0.85 and fill["18:00 Spin"] > 0.85
        assert fill["14:30 Stretch & mobility"] < 0.5
        assert fill["07:30 Sauna"] > 4 * fill["15:00 Sauna"]
        assert fill["18:00 Sauna"] > 4 * fill["15:30 Sauna"]


def test_the_history_keeps_the_engines_rules(history):
    problems = rows(
        """
        with b as (select b.id, b.kind, b.item_id, b.member_id, b.status, b.created_at, b.checked_in_at,
                          b.is_late_cancellation, b.capacity_override, b.benefit_kind, b.time_zone, b.starts_at,
                          b.ends_at, c.cancelled_at
                   from app_private.item_bookings b
                   join (select id, cancelled_at from class_bookings union all
                         select id, cancelled_at from benefit_bookings) c on c.id = b.id),
        counted as (select kind, item_id as id, count(*) filter (where status = any(%(holding)s)) as taken,
                           count(*) filter (where capacity_override) as overrides,
                           count(*) filter (where status = 'waitlisted') as waiting
                    from b group by 1, 2),
        item as (select 'class' as kind, c.id, c.capacity, app_private.class_cancellation_cutoff_minutes() as cutoff
                 from classes c
                 union all
                 select 'slot', s.id, s.capacity,
                        coalesce(st.cancellation_cutoff_minutes, app_private.default_cancellation_cutoff_minutes())
                 from benefit_slots s left join benefit_settings st on st.facility_id = s.facility_id)
        select 'over capacity', id::text from item join counted using (kind, id) where taken > capacity + overrides
        union all
        select 'waitlisted while places were free', id::text from item join counted using (kind, id)
        where waiting > 0 and taken < capacity
        union all
        select 'booked twice at one time', one.id::text from b one join b other
            on one.member_id = other.member_id and one.id < other.id
           and one.starts_at < other.ends_at and other.starts_at < one.ends_at
        where one.status = any(%(holding)s) and other.status = any(%(holding)s)
        union all
        select 'over the entitlement', b.member_id::text from b
            join entitlements e on e.member_id = b.member_id and e.benefit_kind = b.benefit_kind
        where b.status = any(%(holding)s)
        group by b.member_id, e.quota, date_trunc(e.period, b.starts_at at time zone b.time_zone), b.benefit_kind
        having count(*) > e.quota
        union all
        select 'booked after the start', id::text from b where created_at >= starts_at
        union all
        select 'cancelled after the start', id::text from b where cancelled_at >= starts_at
        union all
        select 'checked in before check-in opens', id::text from b where checked_in_at < starts_at - interval '1 hour'
        union all
        select 'late flag wrong', b.id::text from b join item i on i.kind = b.kind and i.id = b.item_id
        where b.is_late_cancellation and b.cancelled_at <= b.starts_at - make_interval(mins => i.cutoff)
        """,
        {"holding": HOLDING},
    )
    assert problems == []
    assert not AuditLog.objects.filter(action__startswith="booking.", occurred_at__gt=NOW).exists()
    assert not ItemBooking.objects.filter(created_at__gt=NOW).exists()


def test_the_booking_triggers_are_on_again_and_refuse_the_past(history):
    triggers = rows(
        "select tgname, tgenabled from pg_trigger where tgrelid in ('class_bookings'::regclass,"
        " 'benefit_bookings'::regclass) and not tgisinternal"
    )
    assert len(triggers) == 8 and {enabled for _, enabled in triggers} == {"O"}
    branch = branches()[0]
    past = booked(branch).filter(kind="class").first()
    newcomer = (
        booked(branch)
        .exclude(item_id=past.item_id)
        .exclude(member_id__in=booked(branch).filter(item_id=past.item_id).values("member_id"))[0]
    )
    with pytest.raises(RuleViolation) as refused:
        booking_create(
            kind="class", item_id=past.item_id, member_id=newcomer.member_id, actor=Actor.system("test"),
            channel="concierge", source="command",
        )  # fmt: skip
    assert refused.value.code == "started"
    with pytest.raises(DatabaseError, match="already started or is over"), transaction.atomic():
        rows(
            "insert into class_bookings (organization_id, member_id, class_id, status, channel)"
            " values (%s, %s, %s, 'attended', 'concierge')",
            [past.organization_id, newcomer.member_id, past.item_id],
        )


def test_the_audit_entries_are_the_engines_and_the_chain_verifies(history, capsys):
    for branch in branches():
        bookings = {str(booking.pk): booking for booking in booked(branch)}
        made = entries(branch, "booking.created") | entries(branch, "booking.waitlisted")
        made |= entries(branch, "booking.capacity_overridden")
        by_booking = {entry.entity_id: entry for entry in made}
        assert set(by_booking) == set(bookings)
        for booking_id, entry in by_booking.items():
            booking = bookings[booking_id]
            assert entry.occurred_at == booking.created_at and entry.member_id == booking.member_id
            assert entry.new_values["item"] == str(booking.item_id) and entry.new_values["kind"] == booking.kind
            assert entry.new_values["starts_at"] == booking.starts_at.isoformat()
            if booking.capacity_override:
                assert entry.action == "booking.capacity_overridden" and entry.actor_label == "Morgan Lead"
                assert entry.reason == f"{booking.override_reason_code}: {booking.override_reason}"
                assert (
                    entry.new_values["places"] == f"{booking.places_taken_before + 1} of {booking.capacity_at_booking}"
                )
        for entry in entries(branch, "booking.checked_in"):
            assert entry.occurred_at == bookings[entry.entity_id].checked_in_at
        for entry in entries(branch, "booking.no_show"):
            assert entry.occurred_at > bookings[entry.entity_id].starts_at
        for promoted in entries(branch, "booking.waitlist_promoted"):
            freed = AuditLog.objects.get(action="booking.cancelled", entity_id=promoted.new_values["freed_by"])
            assert freed.occurred_at == promoted.occurred_at and freed.old_values == {"status": "confirmed"}
            assert (freed.actor_id, freed.source) == (promoted.actor_id, promoted.source)
    call_command("verify_audit")
    assert "Audit trail intact." in capsys.readouterr().out


def test_loading_again_adds_nothing_and_a_later_day_adds_its_days(history, capsys):
    count = ItemBooking.objects.count(), AuditLog.objects.count()
    again = demo_history_seed(now=NOW)
    assert again.bookings == again.entries == 0
    assert (ItemBooking.objects.count(), AuditLog.objects.count()) == count
    assert again.sentence() == "History: the 28 days before today are there already; nothing added."
    call_command("seal_audit")
    # Three days on, the three days since come in; their entries are sealed after those sealed already.
    before = set(ItemBooking.objects.values_list("pk", flat=True))
    later = NOW + datetime.timedelta(days=3)
    demo_data_seed(today=later.date())
    assert demo_history_seed(now=later).bookings > 0
    for branch in branches():
        new = ItemBooking.objects.filter(branch=branch).exclude(pk__in=before)
        new_days = window(branch)[1], window(branch, later)[1]
        assert new.exists() and not new.exclude(starts_at__gte=new_days[0], starts_at__lt=new_days[1]).exists()
    call_command("verify_audit")
    assert "Audit trail intact." in capsys.readouterr().out


def test_seed_demo_twice_adds_nothing_the_second_time(capsys):
    with time_machine.travel(timezone.now(), tick=False):
        call_command("seed_demo")
        first = capsys.readouterr().out
        count = ItemBooking.objects.count(), AuditLog.objects.count()
        call_command("seed_demo")
        second = capsys.readouterr().out
    assert "History: the 28 days before today at 2 branches" in first
    assert "History: the 28 days before today are there already; nothing added." in second
    assert "0 new bookings for the front desk's today and tomorrow" in second
    assert (ItemBooking.objects.count(), AuditLog.objects.count()) == count


def test_the_timetable_makes_the_coming_weeks():
    today = timezone.localdate()
    demo_data_seed(today=today)
    for branch in branches():
        timetable = ClassTimetableEntry.objects.filter(branch=branch)
        assert timetable.count() == 35
        assert {entry.room for entry in timetable} == {"Spin room", "Studio 1", "Studio 2"}
        early_spin = timetable.filter(title="Spin", starts_at_local=datetime.time(7), room="Spin room")
        assert sorted(early_spin.values_list("weekday", flat=True)) == [1, 2, 3, 4, 5]
        assert all(entry.valid_from <= today - datetime.timedelta(days=HISTORY_DAYS) for entry in timetable)
    call_command("ensure_classes", "--days", "28")
    for branch in branches():
        branch_today = timezone.now().astimezone(branch.zone).date()
        made = ScheduledClass.objects.filter(
            branch=branch,
            timetable_date__gte=branch_today,
            timetable_date__lt=branch_today + datetime.timedelta(days=28),
        )
        assert made.count() == 4 * 35
        assert made.filter(timetable_entry__isnull=True).count() == 0
    # and a one-off class besides, which the timetable does not make
    one_offs = ScheduledClass.objects.filter(
        title="Charity ride", starts_at__gte=timezone.now() - datetime.timedelta(days=1)
    )
    assert one_offs.filter(timetable_entry__isnull=True).count() == 2
