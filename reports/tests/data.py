"""The reports' test data: a small club whose figures are counted by hand, and a busy month for
the pages' query counts and the browser's screenshots.

The engine books only what has not started, so every booking is made through it on items ahead
(the hand-made club's days are ahead anyway: the next change of the clocks), and what only
happens after a start (attended, no-show, a late cancellation) is written directly, as the desk's
tests do. The busy month is booked ahead too, then its items are moved back by whole days on the
branch's clock to end yesterday: the reports read the past, and the engine's rules stay whole.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import connection

from access.staff_groups import MANAGER
from audit.services import Actor
from bookings.models import BenefitBooking, ClassBooking
from bookings.services import Override, booking_cancel, booking_create
from classes.models import ScheduledClass
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.tests.clock import interesting_day, local
from facilities.models import BenefitSlot
from facilities.tests.factories import BenefitSettingFactory, FacilityFactory
from members.tests.factories import MemberFactory

NEW_YORK, SYDNEY = "America/New_York", "Australia/Sydney"
CLASS, SLOT = "class", "slot"


def at(day: datetime.date, hour: int, minute: int = 0, zone: str = NEW_YORK) -> datetime.datetime:
    return local(day, hour, minute, zone)


def a_class(branch, title: str, start: datetime.datetime, *, capacity: int = 2, minutes: int = 45, **fields):
    return ScheduledClass.objects.create(
        branch=branch, organization=branch.organization, title=title, instructor="Priya Shah", starts_at=start,
        ends_at=start + datetime.timedelta(minutes=minutes), capacity=capacity, **fields,
    )  # fmt: skip


def a_slot(facility, start: datetime.datetime, *, minutes: int = 30, capacity: int | None = None):
    return BenefitSlot.objects.create(
        facility=facility, organization=facility.organization, starts_at=start,
        ends_at=start + datetime.timedelta(minutes=minutes), capacity=capacity or facility.capacity,
    )  # fmt: skip


def a_facility(branch, name: str, capacity: int = 2):
    facility = FacilityFactory(branch=branch, name=name, capacity=capacity)
    BenefitSettingFactory(facility=facility, booking_window_days=365)
    return facility


def kind_of(item) -> str:
    return CLASS if isinstance(item, ScheduledClass) else SLOT


def book(item, member, *, by=None, override: Override | None = None, waitlist: bool = False):
    """The engine's booking; the booking's model row."""
    kind = kind_of(item)
    outcome = booking_create(
        kind=kind, item_id=item.pk, member_id=member.pk, actor=Actor.system("test"), channel="concierge",
        source="command", booked_by=by, override=override, join_waitlist=waitlist,
    )  # fmt: skip
    model = ClassBooking if kind == CLASS else BenefitBooking
    return model.objects.get(pk=outcome.booking_id)


def cancel(booking):
    kind = CLASS if isinstance(booking, ClassBooking) else SLOT
    return booking_cancel(kind=kind, booking_id=booking.pk, actor=Actor.system("test"), source="command")


def mark(booking, status: str, **fields):
    """What happens after the start, written directly: attended, no-show, a late cancellation."""
    type(booking).objects.filter(pk=booking.pk).update(status=status, **fields)


def late_cancel(booking):
    mark(booking, "cancelled", is_late_cancellation=True, cancelled_at=booking.created_at)


def waited_before_promotion(booking, hours: float):
    """Move the moment a promoted member joined the waitlist to `hours` before their promotion
    (its audit entry's time), so that the wait is `hours` exactly."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"update {type(booking)._meta.db_table} set created_at = (select occurred_at from audit_logs"
            " where action = 'booking.waitlist_promoted' and entity_id = %s) - make_interval(secs => %s) where id = %s",
            [str(booking.pk), hours * 3600, booking.pk],
        )


def manager_named(django_user_model, username: str, first: str, last: str):
    user = django_user_model.objects.create_user(
        username=username, password="pw", is_staff=True, first_name=first, last_name=last
    )
    user.groups.add(Group.objects.get(name=MANAGER))
    return user


@dataclass
class HandMade:
    """Harbourfront, New York, around the day its clocks go forward (a Sunday): two weeks from the
    Monday before to the Sunday after."""

    branch: object
    day: datetime.date  # the Sunday the clocks change
    first: datetime.date
    last: datetime.date
    items: dict = field(default_factory=dict)
    bookings: dict = field(default_factory=dict)
    staff: dict = field(default_factory=dict)


def hand_made_club(django_user_model, manager) -> HandMade:
    """What the tests count by hand (all capacities 2; Sat is before the change, EST; Mon after, EDT):

    Spin (class) Sat 07:00: Eve late-cancelled; Ann attended; Ben no-show; Fay booked by Jo Park's
        override ("staff_error", 3 of 2), never marked.
    Spin (class) Mon 07:00: Ann and Ben booked; Cat joined the waitlist 3 h before Ann cancelled in
        time (Cat promoted), Dan joined after Cat and still waits, Eve joined and left. Ben and Cat
        attended.
    Yoga (class) Mon 18:30: cancelled by the club (left out of utilisation and attendance).
    Sauna (facility) Sat 07:00: Gia attended. Mon 07:00: nobody. Mon 18:00: Gia no-show, Hal
        attended, then the test manager's overrides: Ivy ("vip", 3 of 2) attended and Jon
        ("medical", 4 of 2) never marked; Kim joined the waitlist and still waits.
    Outside the period (Mon a week later): Spin 07:00 with Ann and an override.
    """
    day = interesting_day(NEW_YORK, "clocks_forward")
    branch = BranchFactory(name="Harbourfront", time_zone=NEW_YORK)
    saturday, monday = day - datetime.timedelta(days=1), day + datetime.timedelta(days=1)
    club = HandMade(branch, day, day - datetime.timedelta(days=6), day + datetime.timedelta(days=7))
    jo = manager_named(django_user_model, "jo", "Jo", "Park")
    manager.first_name, manager.last_name = "Morgan", "Lead"
    manager.save()
    club.staff = {"jo": jo, "manager": manager}
    people = {
        name: MemberFactory(home_branch=branch, first_name=name, last_name="Test", member_number=f"H{number:03d}")
        for number, name in enumerate(["Ann", "Ben", "Cat", "Dan", "Eve", "Fay", "Gia", "Hal", "Ivy", "Jon", "Kim"])
    }
    sauna = a_facility(branch, "Sauna")
    items = club.items
    items["spin_sat"] = a_class(branch, "Spin", at(saturday, 7))
    items["spin_mon"] = a_class(branch, "Spin", at(monday, 7))
    items["yoga_mon"] = a_class(branch, "Yoga", at(monday, 18, 30), is_cancelled=True)
    items["sauna_sat"] = a_slot(sauna, at(saturday, 7))
    items["sauna_mon"] = a_slot(sauna, at(monday, 7))
    items["sauna_mon_eve"] = a_slot(sauna, at(monday, 18))
    items["spin_later"] = a_class(branch, "Spin", at(monday + datetime.timedelta(days=7), 7))
    b = club.bookings

    b["eve_sat"] = book(items["spin_sat"], people["Eve"])
    late_cancel(b["eve_sat"])
    b["ann_sat"] = book(items["spin_sat"], people["Ann"])
    b["ben_sat"] = book(items["spin_sat"], people["Ben"])
    b["fay_sat"] = book(
        items["spin_sat"], people["Fay"], by=jo, override=Override("staff_error", "Double-booked by the desk")
    )
    mark(b["ann_sat"], "attended")
    mark(b["ben_sat"], "no_show")

    b["ann_mon"] = book(items["spin_mon"], people["Ann"])
    b["ben_mon"] = book(items["spin_mon"], people["Ben"])
    b["cat_mon"] = book(items["spin_mon"], people["Cat"], waitlist=True)
    b["dan_mon"] = book(items["spin_mon"], people["Dan"], waitlist=True)
    assert cancel(b["ann_mon"]).promoted_booking_id == b["cat_mon"].pk
    waited_before_promotion(b["cat_mon"], 3)
    b["eve_mon"] = book(items["spin_mon"], people["Eve"], waitlist=True)
    cancel(b["eve_mon"])
    mark(b["ben_mon"], "attended")
    mark(b["cat_mon"], "attended")

    b["gia_sat"] = book(items["sauna_sat"], people["Gia"])
    mark(b["gia_sat"], "attended")
    b["gia_eve"] = book(items["sauna_mon_eve"], people["Gia"])
    b["hal_eve"] = book(items["sauna_mon_eve"], people["Hal"])
    b["ivy_eve"] = book(
        items["sauna_mon_eve"], people["Ivy"], by=manager, override=Override("vip", "Guest of the owner")
    )
    b["jon_eve"] = book(
        items["sauna_mon_eve"], people["Jon"], by=manager, override=Override("medical", "Physio referral")
    )
    b["kim_eve"] = book(items["sauna_mon_eve"], people["Kim"], waitlist=True)
    mark(b["gia_eve"], "no_show")
    mark(b["hal_eve"], "attended")
    mark(b["ivy_eve"], "attended")

    b["ann_later"] = book(items["spin_later"], people["Ann"])
    b["ben_later"] = book(items["spin_later"], people["Ben"])
    b["cat_later"] = book(items["spin_later"], people["Cat"], by=manager, override=Override("vip", "Not counted"))
    return club


def sydney_club() -> tuple[object, datetime.date]:
    """Bondi, Sydney, around the day its clocks go back (a Sunday, AEDT to AEST): a 07:00 class the
    day before and the day after, one member attended each."""
    day = interesting_day(SYDNEY, "clocks_back")
    branch = BranchFactory(name="Bondi", time_zone=SYDNEY)
    member = MemberFactory(home_branch=branch)
    for when in (day - datetime.timedelta(days=1), day + datetime.timedelta(days=1)):
        mark(book(a_class(branch, "Sunrise yoga", at(when, 7, zone=SYDNEY), capacity=4), member), "attended")
    return branch, day


# --- a busy month, for query counts and screenshots ---------------------------------------------

# title, local start, capacity
CLASSES = [("Spin", "07:00", 12), ("Yoga flow", "09:30", 14), ("HIIT", "12:15", 10), ("Pilates", "18:00", 12),
           ("Spin", "19:00", 12)]  # fmt: skip
FACILITIES = [("Sauna", 6), ("Cold plunge", 2), ("Steam room", 4)]
OVERRIDE_NOTES = {
    "vip": ["Guest of the owner", "Visiting board member", "Press visit, with the owner's OK"],
    "medical": ["Physio referral", "GP's note for knee rehab", "Post-surgery programme"],
    "service_recovery": ["Sauna closed early last visit", "Booking lost by the app", "Class cancelled on them twice"],
    "staff_error": ["Double-booked at the desk", "Wrong class picked at the counter", "Cancelled by mistake"],
    "manager_discretion": ["Regular, trying the class", "Founding member", "Long wait on the list"],
}
# Members come in lanes, one per facility and one for the classes: items that may overlap in time
# never share a member, so no booking meets the overlap rule. A lane holds an item's most bookings.
LANE = 20
# Each item's wish for places, as a share of its capacity plus three: weekday mornings, lunch and
# evenings are busy, weekends calmer; beyond the capacity, the waitlist.
WANTED = """
    least(capacity + 3, floor(
        (capacity + 3)
        * case when extract(hour from starts_at at time zone %(zone)s) in (7, 8, 17, 18, 19) then .9
               when extract(hour from starts_at at time zone %(zone)s) in (12, 13) then .7
               else .3 end
        * case when extract(isodow from starts_at at time zone %(zone)s) >= 6 then .55 else 1 end
        * (.7 + .6 * random()))::integer)
"""


def busy_month(branch, *, days: int = 28, staff=()) -> tuple[datetime.date, datetime.date]:
    """`days` days of a branch's life ending yesterday on its clock: three facilities' half-hour
    slots on the hour from 06:00 to 20:00 and five classes a day, booked more on weekday mornings and
    evenings, with attendance, no-shows, late cancellations, waitlists (some promoted) and overrides
    by `staff`. Written set-based, through the booking tables' own rules and audit entries, on days
    ahead; then moved back. Returns (first day, last day)."""
    yesterday = localtime.local_today(branch.zone) - datetime.timedelta(days=1)
    first = yesterday - datetime.timedelta(days=days - 1)
    shift = 7 * ((days + 3) // 7 + 1)  # booked whole weeks ahead (the same weekdays), then moved back
    facilities = [a_facility(branch, name, capacity) for name, capacity in FACILITIES]
    lanes = 1 + len(facilities)
    for lane in range(lanes):
        for number in range(LANE):
            MemberFactory(home_branch=branch, first_name=f"Lane{lane}", last_name=f"Member{number:02d}",
                          member_number=f"L{lane}-{number:02d}")  # fmt: skip
    params = {
        "branch": branch.pk, "org": branch.organization_id, "zone": branch.time_zone, "lane": LANE,
        "ahead_from": first + datetime.timedelta(days=shift), "ahead_to": yesterday + datetime.timedelta(days=shift),
        "titles": [c[0] for c in CLASSES], "times": [c[1] for c in CLASSES], "capacities": [c[2] for c in CLASSES],
        "staff": [user.pk for user in staff] or [None], "reasons": list(OVERRIDE_NOTES),
        "notes": list(OVERRIDE_NOTES.values()),  # a two-dimensional array: a reason's notes in a row
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("select setseed(0.42)")
        cursor.execute(
            """
            insert into classes (id, organization_id, branch_id, title, instructor, starts_at, ends_at, capacity)
            select gen_random_uuid(), %(org)s, %(branch)s, t.title, 'Priya Shah',
                   (d + t.at::time) at time zone %(zone)s,
                   (d + t.at::time + interval '45 minutes') at time zone %(zone)s, t.capacity
            from generate_series(%(ahead_from)s::timestamp, %(ahead_to)s::timestamp, interval '1 day') d
            cross join unnest(%(titles)s::text[], %(times)s::text[], %(capacities)s::int[]) t(title, at, capacity)
            """,
            params,
        )
        cursor.execute(
            """
            insert into benefit_slots (id, organization_id, facility_id, starts_at, ends_at, capacity)
            select gen_random_uuid(), %(org)s, f.id, (d + make_interval(hours => h)) at time zone %(zone)s,
                   (d + make_interval(hours => h, mins => 30)) at time zone %(zone)s, f.capacity
            from facilities f
            cross join generate_series(%(ahead_from)s::timestamp, %(ahead_to)s::timestamp, interval '1 day') d
            cross join generate_series(6, 20) h
            where f.branch_id = %(branch)s
            """,
            params,
        )
        # Statistics of what this test wrote (ANALYZE reads a transaction's own rows), as autovacuum
        # keeps them in production: without them, plans in the rules' triggers and in the reports
        # are made for tables of another size (a previous test's, rolled back).
        cursor.execute("analyze benefit_slots, classes, members, benefit_bookings, class_bookings, audit_logs")
        # Each item with its lane, its day's place in the rotation of members, and how many want it.
        for table, item_column, items in (
            ("class_bookings", "class_id",
             "select c.id, c.capacity, c.starts_at, 0 as lane from classes c where c.branch_id = %(branch)s"),
            ("benefit_bookings", "slot_id",
             "select s.id, s.capacity, s.starts_at, f.lane from benefit_slots s"
             " join (select id, row_number() over (order by name) as lane from facilities"
             "       where branch_id = %(branch)s) f on f.id = s.facility_id"),
        ):  # fmt: skip
            cursor.execute(
                f"create temporary table wished as select i.*, {WANTED} as wanted,"
                f" (extract(doy from i.starts_at)::integer * 5) %% %(lane)s as turn from ({items}) i",
                params,
            )
            member = (
                "(select m.id from members m where m.home_branch_id = %(branch)s"
                " and m.member_number = 'L' || w.lane || '-' || lpad(((w.turn + k) %% %(lane)s)::text, 2, '0'))"
            )
            # confirmed up to the capacity; a few overrides beyond it on full items; then the waitlist
            cursor.execute(
                f"""
                insert into {table} (id, organization_id, member_id, {item_column}, status, channel, created_at)
                select gen_random_uuid(), %(org)s, {member}, w.id, 'confirmed',
                       case when random() < .6 then 'member_app' else 'concierge' end, now() - interval '9 days'
                from wished w cross join generate_series(0, least(w.wanted, w.capacity) - 1) k
                order by w.id, k
                """,
                params,
            )
            if staff:  # one override on an eighth of the full items, a second on a few of them
                cursor.execute(
                    f"""
                    insert into {table} (id, organization_id, member_id, {item_column}, status, channel,
                                         capacity_override, override_reason_code, override_reason, booked_by_user_id)
                    select gen_random_uuid(), %(org)s, {member}, w.id, 'confirmed', 'concierge', true,
                           (%(reasons)s::text[])[r], (%(notes)s::text[])[r][1 + floor(random() * 3)::integer],
                           (%(staff)s::integer[])[1 + (k + w.turn) %% cardinality(%(staff)s::integer[])]
                    from (select w.*, 1 + floor(random() * cardinality(%(reasons)s::text[]))::integer as r,
                                 random() as draw from wished w) w
                    cross join generate_series(w.capacity + 3, w.capacity + case when w.draw < .03 then 4 else 3 end) k
                    where w.wanted >= w.capacity and w.draw < .12
                    order by w.id, k
                    """,
                    params,
                )
            cursor.execute(
                f"""
                insert into {table} (id, organization_id, member_id, {item_column}, status, channel, created_at)
                select gen_random_uuid(), %(org)s, {member}, w.id, 'waitlisted', 'member_app',
                       now() - make_interval(hours => 1 + k * 5 + floor(random() * 30)::integer)
                from wished w cross join generate_series(w.capacity, w.wanted - 1) k
                order by w.id, k
                """,
                params,
            )
            cursor.execute("drop table wished")
    # Some waitlists move: a member cancels in time and the engine promotes the first who waits.
    for model in (ClassBooking, BenefitBooking):
        item = "scheduled_class_id" if model is ClassBooking else "slot_id"
        waiting = model.objects.filter(status="waitlisted", member__home_branch=branch).values_list(item, flat=True)
        overridden = model.objects.filter(capacity_override=True).values_list(item, flat=True)
        items = sorted(set(waiting) - set(overridden))[::2]
        for booking in (
            model.objects.filter(**{f"{item}__in": items, "status": "confirmed"}).order_by(item, "id").distinct(item)
        ):
            cancel(booking)
    with connection.cursor() as cursor:
        for table in ("class_bookings", "benefit_bookings"):
            cursor.execute(  # some leave the waitlist
                f"update {table} set status = 'cancelled', cancelled_at = now() where status = 'waitlisted'"
                " and random() < .2 and member_id in (select id from members where home_branch_id = %s)",
                [branch.pk],
            )
            cursor.execute(
                f"""
                update {table} b set status = case when o.draw < .80 then 'attended' when o.draw < .90 then 'no_show'
                                                   else 'cancelled' end,
                       is_late_cancellation = o.draw >= .90, cancelled_at = case when o.draw >= .90 then now() end
                from (select id, random() as draw from {table} where status = 'confirmed'
                        and member_id in (select id from members where home_branch_id = %s)) o
                where b.id = o.id and o.draw < .96
                """,
                [branch.pk],
            )
        cursor.execute("analyze benefit_slots, classes, benefit_bookings, class_bookings, audit_logs")
        # back to the days they belong to, on the branch's clock
        moved = "({column} at time zone %(zone)s - make_interval(days => %(shift)s)) at time zone %(zone)s"
        for table, where in (
            ("classes", "branch_id = %(branch)s"),
            ("benefit_slots", "facility_id in (select id from facilities where branch_id = %(branch)s)"),
        ):
            cursor.execute(
                f"update {table} set starts_at = {moved.format(column='starts_at')},"
                f" ends_at = {moved.format(column='ends_at')} where {where}",
                {"zone": branch.time_zone, "shift": shift, "branch": branch.pk},
            )
    return first, yesterday
