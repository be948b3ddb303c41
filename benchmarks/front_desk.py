"""The front desk's pages at size: server time of each against the plain SQL it runs.

    .venv/bin/python benchmarks/front_desk.py [--members 100000] [--runs 30] [--keep] [--explain]

One organization with three branches (Midtown in America/New_York, the busy one; Kensington in
Europe/London; Bandra in Asia/Kolkata), 20 recovery facilities (10 at Midtown), a year of 30-minute
slots and classes (300 days back, 64 ahead), N members, and a busy day at Midtown: nearly every
place of the day booked (thousands of bookings), full classes with waitlists, overrides, a facility
under maintenance, plus the year's history (about a million bookings). Everything is built by
INSERT … SELECT generate_series (about 80 s), the bookings with no trigger running (the engine's
rules, audit entries and foreign-key checks: consistent by construction).

The pages are measured at 17:30 on Midtown's busy day (time_machine, the clock ticking from
there): its evening peak, with arrivals due and the day's first half to check. A front-desk user
(the Front desk group) asks each page through Django's test client with DEBUG off, as production
runs; per page, in the same run and alternating run by run:
  * the page: median and 95th percentile of its server time over --runs requests, after warm-up;
  * baseline: the very SQL statements the page ran (captured once), run by a bare psycopg
    connection without Django, fetching every row, planned each time as the app's are.
Goal for each page: median under 150 ms and within 3x its baseline; the member search, the
issue's own figure: under 100 ms at 100,000 members. For a page that misses its goal, its
costliest statements (with --explain, their EXPLAIN ANALYZE).

--keep reuses the database an earlier run built with the same --members (migrated first) instead
of building it again.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import multiprocessing
import os
import queue
import re
import statistics
import time
import warnings
import zoneinfo

import psycopg
from common import PROJECT_DIR, fresh_database, ratio, run_manage, server_url, setup_django, timed, with_database

DATABASE = "clubops_bench_desk"
BUSY_ZONE = "America/New_York"
PEAK = datetime.time(17, 30)  # Midtown's evening rush, when the pages are asked for
DAYS_BACK, DAYS_AHEAD = 300, 64  # a year of slots and classes around the busy day
WARM_UP = 3
SLOW_STATEMENT_MS = 2.0  # statements below this are not worth listing for a page that misses its goal
PAGE_GOAL_MS, SEARCH_GOAL_MS, RATIO_GOAL = 150, 100, 3.0

BRANCHES = [
    # name, zone, facilities, places per slot, classes a day, places per class
    ("Midtown", BUSY_ZONE, 10, 10, 16, 30),
    ("Kensington", "Europe/London", 5, 6, 8, 20),
    ("Bandra", "Asia/Kolkata", 5, 6, 8, 20),
]
FIRST_NAMES = (
    "Olivia Noah Amelia Liam Isla Oliver Ava Mia James Sofia Maria Mateo Max Maya Ethan Emma Lucas Chloe Leo Grace "
    "Arjun Priya Diego Lucia Hana Kenji Fatima Omar Zoe Adam Nora Elias Ines Tomas Anya Ravi Sara Jonah Lena Felix"
).split()
LAST_NAMES = (
    "Smith Garcia Nguyen Patel Kowalski Okafor Rossi Haddad Kim Murphy Silva Cohen Tanaka Jensen Dubois Novak Ahmed "
    "Walsh Moreau Lind Martin Martinez Mason Matthews Marsh Johnson Williams Brown Jones Miller Davis Rodriguez Wilson "
    "Anderson Taylor Thomas Moore Jackson Lee Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Hill Green Adams Baker Nelson Carter Mitchell Perez Roberts Turner"
).split()
FACILITY_KINDS = ["sauna", "infrared_sauna", "steam_room", "cold_plunge", "hot_tub", "cryotherapy", "compression"]
CLASS_TITLES = ["Spin", "Yoga flow", "HIIT", "Pilates", "Boxing", "Barre", "Strength", "Mobility"]
INSTRUCTORS = ["Priya Shah", "Tom Baker", "Ana Lima", "Sam Okoro", "Jo Park", "Lea Roux"]
LONG_HISTORY_MEMBER = 1  # Noah Smith, M000001, at Midtown: a booking most days of the year

# A member's id follows from their number g, so bookings name members without a join.
MEMBER_ID = "md5('bench-member-' || ({g}))::uuid"

# Each booking's fate from a random draw `o` and its item's start against the peak moment: over
# (mostly attended, some no-shows and cancellations, a few never marked), arriving within the hour
# or just late (some checked in already), later (confirmed, a few cancelled).
STATUS = """
    case when starts_at < %(peak)s - interval '15 minutes' then
             case when o < .85 then 'attended' when o < .90 then 'no_show' when o < .97 then 'cancelled'
                  else 'confirmed' end
         when starts_at < %(peak)s + interval '60 minutes' then
             case when o < .30 then 'attended' when o < .96 then 'confirmed' else 'cancelled' end
         else case when o < .93 then 'confirmed' else 'cancelled' end
    end
"""


def bench_url() -> str:
    return with_database(server_url(), DATABASE)


def kept_database(members: int) -> tuple[str, datetime.date] | None:
    """The database an earlier run built for `members` members, and its busy day, if there is one."""
    try:
        with psycopg.connect(bench_url()) as db:
            row = db.execute("select members, busy_day from bench_meta").fetchone()
    except psycopg.Error:
        return None
    return (bench_url(), row[1]) if row and row[0] == members else None


def fill(url: str, members: int) -> datetime.date:
    """Build the club, its year and its busy day; return the busy day (Midtown's today)."""
    zone = zoneinfo.ZoneInfo(BUSY_ZONE)
    busy_day = datetime.datetime.now(zone).date()
    peak = datetime.datetime.combine(busy_day, PEAK, tzinfo=zone)
    first_day, last_day = busy_day - datetime.timedelta(days=DAYS_BACK), busy_day + datetime.timedelta(days=DAYS_AHEAD)
    from access.staff_groups import FRONT_DESK, MANAGER

    with psycopg.connect(url) as db:
        org = db.execute(
            "insert into organizations (id, name, slug) values (gen_random_uuid(), 'Bench club', 'bench') returning id"
        ).fetchone()[0]
        for number, (name, zone_name, facilities, places, _, _) in enumerate(BRANCHES):
            db.execute(
                """
                with b as (insert into branches (id, organization_id, name, time_zone, address)
                           values (gen_random_uuid(), %(org)s, %(name)s, %(zone)s, '1 Bench Street') returning id),
                f as (insert into facilities (id, organization_id, branch_id, name, kind, capacity)
                      select gen_random_uuid(), %(org)s, b.id, initcap(replace(kind, '_', ' ')) || ' ' || g, kind,
                             %(places)s
                      from b, generate_series(1, %(facilities)s) g,
                           lateral (select (%(kinds)s::text[])[1 + (g + %(number)s) %% 7] as kind) k
                      returning id)
                insert into benefit_settings (id, organization_id, facility_id, booking_window_days)
                select gen_random_uuid(), %(org)s, id, 14 from f
                """,
                {"org": org, "name": name, "zone": zone_name, "facilities": facilities, "places": places,
                 "kinds": FACILITY_KINDS, "number": number},
            )  # fmt: skip
        midtown = db.execute("select id from branches where name = 'Midtown'").fetchone()[0]
        # One of Midtown's facilities is under maintenance: "needs attention" lists it, the grid greys it.
        db.execute(
            "update facilities set under_maintenance = true"
            " where id = (select id from facilities where branch_id = %s order by name desc limit 1)",
            [midtown],
        )
        db.execute(
            """
            insert into benefit_slots (id, organization_id, facility_id, starts_at, ends_at, capacity)
            select gen_random_uuid(), f.organization_id, f.id, start at time zone b.time_zone,
                   (start + interval '30 minutes') at time zone b.time_zone, f.capacity
            from facilities f join branches b on b.id = f.branch_id
            cross join generate_series(%(first)s::timestamp, %(last)s::timestamp, interval '1 day') day
            cross join lateral generate_series(day + interval '6 hours', day + interval '21 hours 30 minutes',
                                               interval '30 minutes') start
            """,
            {"first": first_day, "last": last_day},
        )
        for name, _, _, _, classes, places in BRANCHES:
            db.execute(
                """
                insert into classes (id, organization_id, branch_id, title, instructor, starts_at, ends_at, capacity)
                select gen_random_uuid(), b.organization_id, b.id,
                       (%(titles)s::text[])[1 + (i + extract(doy from day)::int) %% 8],
                       (%(instructors)s::text[])[1 + i %% 6], start at time zone b.time_zone,
                       (start + interval '45 minutes') at time zone b.time_zone, %(places)s
                from branches b
                cross join generate_series(%(first)s::timestamp, %(last)s::timestamp, interval '1 day') day
                cross join generate_series(0, %(classes)s - 1) i
                cross join lateral (select day + interval '6 hours' + i * (interval '16 hours' / %(classes)s)) s(start)
                where b.name = %(name)s
                """,
                {"titles": CLASS_TITLES, "instructors": INSTRUCTORS, "places": places, "first": first_day,
                 "last": last_day, "classes": classes, "name": name},
            )  # fmt: skip
        fill_members(db, org, members)
        db.execute(
            """
            with u as (insert into auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                              is_active, date_joined)
                       values ('!', false, 'bench-manager', 'Morgan', 'Lead', '', true, true, now()),
                              ('!', false, 'bench-desk', 'Dana', 'Desk', '', true, true, now())
                       returning id, username)
            insert into auth_user_groups (user_id, group_id)
            select u.id, g.id from u join auth_group g
                on g.name = case u.username when 'bench-manager' then %(manager)s else %(front_desk)s end
            """,
            {"manager": MANAGER, "front_desk": FRONT_DESK},
        )
        manager = db.execute("select id from auth_user where username = 'bench-manager'").fetchone()[0]
        db.commit()
        # The bookings are consistent by construction: no trigger runs while they are written (the
        # engine's rules and audit entries, and the foreign keys' checks), as a restore writes them.
        db.execute("set local session_replication_role = replica")
        fill_long_history(db, members, peak, midtown, manager)
        fill_bookings(db, members, peak, busy_day, manager, midtown)
        db.execute("create table bench_meta (members integer not null, busy_day date not null)")
        db.execute("insert into bench_meta values (%s, %s)", [members, busy_day])
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("vacuum analyze")  # hint bits and statistics now, so no measurement pays for the fresh load
    return busy_day


def fill_members(db, org, members: int) -> None:
    """Half at Midtown (New York numbers), a quarter each in London and Kolkata; a few frozen or
    cancelled; every member with a weekly recovery and a monthly class entitlement."""
    db.execute(
        f"""
        insert into members (id, organization_id, home_branch_id, member_number, first_name, last_name, email, phone,
                             status, created_at)
        select {MEMBER_ID.format(g="g")}, %(org)s,
               (select id from branches where name = case when g %% 4 < 2 then 'Midtown' when g %% 4 = 2
                                                          then 'Kensington' else 'Bandra' end),
               'M' || lpad(g::text, 6, '0'), first, last,
               lower(first) || '.' || lower(last) || g || '@example.com',
               case when g %% 4 < 2 then '+1 646 ' || substr(lpad(g::text, 7, '0'), 1, 3) || ' '
                                         || substr(lpad(g::text, 7, '0'), 4)
                    when g %% 4 = 2 then '+44 7700 ' || lpad(g::text, 6, '0')
                    else '+91 98' || lpad(g::text, 8, '0') end,
               case g %% 50 when 7 then 'frozen' when 13 then 'cancelled' else 'active' end,
               now() - make_interval(days => g %% 1500)
        from generate_series(1, %(members)s) g,
             lateral (select (%(first)s::text[])[1 + g %% 40] as first,
                             (%(last)s::text[])[1 + (g / 40) %% 60] as last) name
        """,
        {"org": org, "members": members, "first": FIRST_NAMES, "last": LAST_NAMES},
    )
    db.execute(
        """
        insert into entitlements (id, organization_id, member_id, benefit_kind, quota, period)
        select gen_random_uuid(), organization_id, id, kind, quota, period from members,
               (values ('recovery', 3, 'week'), ('class', 8, 'month')) e(kind, quota, period)
        """
    )


def fill_long_history(db, members: int, peak: datetime.datetime, midtown, manager: int) -> None:
    """The member whose profile is measured: an early sauna most days of the year and a class every
    third evening, some upcoming, 25 of them overrides, and a staff note."""
    member = MEMBER_ID.format(g=LONG_HISTORY_MEMBER)
    common = {"peak": peak, "midtown": midtown, "manager": manager}
    db.execute(
        f"""
        insert into benefit_bookings (id, organization_id, member_id, slot_id, status, channel, created_at,
                                      checked_in_at, cancelled_at, is_late_cancellation)
        select gen_random_uuid(), organization_id, {member}, id, status, 'member_app', starts_at - interval '2 days',
               case when status = 'attended' then starts_at - interval '5 minutes' end,
               case when status = 'cancelled' then starts_at - interval '1 hour' end, status = 'cancelled'
        from (select s.*, {STATUS} as status
              from (select s.*, random() as o from benefit_slots s
                    where s.facility_id = (select id from facilities where branch_id = %(midtown)s
                                           order by name limit 1)
                      and (s.starts_at at time zone 'America/New_York')::time = '07:00'
                      and (extract(doy from s.starts_at)::int %% 7 <> 0 or s.starts_at > %(peak)s)
                      and s.starts_at < %(peak)s + interval '21 days') s) s
        """,
        common,
    )  # fmt: skip
    db.execute(
        f"""
        insert into class_bookings (id, organization_id, member_id, class_id, status, channel, created_at,
                                    checked_in_at, cancelled_at)
        select gen_random_uuid(), organization_id, {member}, id, status, 'concierge', starts_at - interval '3 days',
               case when status = 'attended' then starts_at - interval '5 minutes' end,
               case when status = 'cancelled' then starts_at - interval '3 days' end
        from (select c.*, {STATUS} as status
              from (select c.*, random() as o from classes c
                    where c.branch_id = %(midtown)s
                      and (c.starts_at at time zone 'America/New_York')::time = '18:00'
                      and extract(doy from c.starts_at)::int %% 3 = 0
                      and c.starts_at < %(peak)s + interval '21 days') c) c
        """,
        common,
    )  # fmt: skip
    db.execute(
        f"""
        update benefit_bookings set capacity_override = true, override_reason_code = 'service_recovery',
               override_reason = 'Sauna closed early last visit', overridden_rules = '{{capacity,entitlement}}',
               capacity_at_booking = 10, places_taken_before = 10, booked_by_user_id = %(manager)s,
               channel = 'concierge'
        where id in (select id from benefit_bookings where member_id = {member} order by created_at desc limit 25)
        """,
        common,
    )  # fmt: skip
    db.execute(
        f"update entitlements set quota = case benefit_kind when 'recovery' then 7 else 12 end"
        f" where member_id = {member}"
    )
    db.execute(
        f"insert into member_notes (member_id, text, updated_at, updated_by_id)"
        f" values ({member}, 'Prefers the corner sauna; knee injury, no cold plunge.', now(), %(manager)s)",
        common,
    )


def fill_bookings(db, members: int, peak: datetime.datetime, busy_day: datetime.date, manager: int, midtown) -> None:
    """The year's bookings: places filled at random by members chosen at random, fuller on the busy
    day (Midtown nearly full, its classes full with waitlists), thin ahead of it."""
    zone = zoneinfo.ZoneInfo(BUSY_ZONE)
    day_start = datetime.datetime.combine(busy_day, datetime.time(), tzinfo=zone)
    day_end = day_start + datetime.timedelta(days=1)
    params = {"peak": peak, "members": members, "day_start": day_start, "day_end": day_end, "midtown": midtown}
    # Places booked per item: (low, high) shares of its capacity, by period and branch; above 1, a waitlist.
    share = """
        case when i.starts_at < %(day_start)s then case when i.busy then .3 + .4 * random() else .2 + .3 * random() end
             when i.starts_at < %(day_end)s then case when i.busy then .85 + .15 * random() else .4 + .3 * random() end
             else .05 + .2 * random() end
    """
    class_share = """
        case when i.starts_at < %(day_start)s then .5 + .5 * random()
             when i.starts_at < %(day_end)s then case when i.busy and i.starts_at > %(peak)s then 1 + .3 * random()
                                                 when i.busy then 1 else .6 + .4 * random() end
             else .1 + .3 * random() end
    """
    member = MEMBER_ID.format(g="1 + (hashtext(i.id::text)::bigint + 2147483648 + k * 7919) %% %(members)s")
    for table, item_column, items, places in (
        ("benefit_bookings", "slot_id",
         "select s.id, s.organization_id, s.starts_at, s.capacity, f.branch_id = %(midtown)s as busy"
         " from benefit_slots s join facilities f on f.id = s.facility_id", share),
        ("class_bookings", "class_id",
         "select c.id, c.organization_id, c.starts_at, c.capacity, c.branch_id = %(midtown)s as busy from classes c",
         class_share),
    ):  # fmt: skip
        with timed(f"{table}: the year's bookings"):
            db.execute(
                f"""
                insert into {table} (id, organization_id, member_id, {item_column}, status, channel, created_at,
                                     checked_in_at, cancelled_at, is_late_cancellation)
                select gen_random_uuid(), organization_id, member_id, item_id, status,
                       case when o < .6 then 'member_app' else 'concierge' end, created_at,
                       case when status = 'attended' then starts_at - interval '5 minutes' end,
                       case when status = 'cancelled' then least(starts_at - interval '30 minutes', %(peak)s) end,
                       status = 'cancelled' and o < .935
                from (select b.*, case when b.k > b.capacity then 'waitlisted' else {STATUS} end as status
                      from (select i.id as item_id, i.organization_id, i.starts_at, i.capacity, k,
                                   {member} as member_id, random() as o,
                                   least(i.starts_at - make_interval(hours => 2 + (k * 37) %% 300),
                                         %(peak)s - make_interval(mins => 1000 - k)) as created_at
                            from ({items}) i
                            cross join lateral generate_series(1, ceil(i.capacity * ({places}))::int) k) b) b
                on conflict do nothing
                """,
                params,
            )
    # Today's overrides: a few of Midtown's bookings of the day were a manager's capacity override.
    db.execute(
        """
        update benefit_bookings set capacity_override = true, override_reason_code = 'vip',
               override_reason = 'Guest of the owner', overridden_rules = '{capacity}', capacity_at_booking = 10,
               places_taken_before = 10, booked_by_user_id = %(manager)s, channel = 'concierge'
        where id in (select b.id from benefit_bookings b join benefit_slots s on s.id = b.slot_id
                     join facilities f on f.id = s.facility_id
                     where f.branch_id = %(midtown)s and s.starts_at >= %(day_start)s and s.starts_at < %(day_end)s
                       and b.status <> 'cancelled' order by b.id limit 8)
        """,
        {**params, "manager": manager},
    )


@dataclasses.dataclass
class Page:
    label: str
    url: str
    goal_ms: float = PAGE_GOAL_MS
    htmx: bool = False
    status: int = 0
    size: int = 0  # bytes of the response
    queries: list[str] = dataclasses.field(default_factory=list)
    page_ms: list[float] = dataclasses.field(default_factory=list)
    sql_ms: list[float] = dataclasses.field(default_factory=list)
    costliest: list[tuple[float, str, str]] = dataclasses.field(default_factory=list)  # (ms, statement, plan)

    @property
    def median(self) -> float:
        return statistics.median(self.page_ms)

    @property
    def sql_median(self) -> float:
        return statistics.median(self.sql_ms)

    @property
    def met(self) -> bool:
        return self.median < self.goal_ms and self.median <= RATIO_GOAL * self.sql_median


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * 0.95), len(ordered) - 1)]


def pages_to_measure(busy_day: datetime.date) -> list[Page]:
    """The desk's pages at the busy day's peak, with the ids they need read from the database."""
    from bookings.models import BookableItem
    from clubs.models import Branch
    from members.models import Member

    midtown = Branch.objects.get(name="Midtown")
    zone = zoneinfo.ZoneInfo(BUSY_ZONE)
    peak = datetime.datetime.combine(busy_day, PEAK, tzinfo=zone)
    busy_class = BookableItem.objects.filter(kind="class", branch_id=midtown.pk, starts_at__gt=peak).order_by(
        "starts_at"
    )[0]
    busy_slot = BookableItem.objects.filter(kind="slot", branch_id=midtown.pk, starts_at=peak).order_by("title")[0]
    long_history = Member.objects.get(member_number=f"M{LONG_HISTORY_MEMBER:06d}")
    some_member = Member.objects.order_by("member_number")[Member.objects.count() // 2]
    number_prefix = some_member.member_number[:-1]  # "M05000": ten members
    email_prefix = re.sub(r"\d+$", "", some_member.email.split("@")[0])[:-2]  # "olivia.smi": a few dozen
    # A New York member's number written nationally, not as stored ("+1 646 005 0002" → "(646) 005-0002").
    phone_member = Member.objects.filter(phone__startswith="+1 ", member_number__gte=some_member.member_number)
    digits = re.sub(r"\D", "", phone_member.order_by("member_number").first().phone)[1:]
    national = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    root = "/admin/desk/today/"
    search = f"{root}search/?q="
    return [
        Page("Today", f"{root}?branch={midtown.pk}"),
        Page("Today: panels (htmx)", f"{root}panels/?branch={midtown.pk}", htmx=True),
        Page("Facility grid", f"{root}grid/?branch={midtown.pk}&date={busy_day.isoformat()}"),
        Page("Member profile (long history)", f"{root}members/{long_history.pk}/"),
        # The floor every partial pays (session, user, permissions, middleware): one letter searches nothing.
        Page("Search 'm' (too short: the floor)", f"{search}m", SEARCH_GOAL_MS, htmx=True),
        Page("Search 'ma' (2 letters)", f"{search}ma", SEARCH_GOAL_MS, htmx=True),
        Page("Search 'smi' (surname)", f"{search}smi", SEARCH_GOAL_MS, htmx=True),
        Page(f"Search '{number_prefix}' (number)", f"{search}{number_prefix}", SEARCH_GOAL_MS, htmx=True),
        Page(f"Search '{email_prefix}' (email)", f"{search}{email_prefix}", SEARCH_GOAL_MS, htmx=True),
        Page(f"Search '{national}' (phone)", f"{search}{national}", SEARCH_GOAL_MS, htmx=True),
        # Last: the roster page was still being finished when this benchmark was written.
        Page(f"Roster: class ({busy_class.title})", f"{root}items/class/{busy_class.pk}/"),
        Page(f"Roster: slot ({busy_slot.title})", f"{root}items/slot/{busy_slot.pk}/"),
    ]


def run_statements(db: psycopg.Connection, statements: list[str]) -> float:
    """Milliseconds to run `statements` as the page did, each row fetched: in autocommit, as
    Django runs them, with the page's own BEGIN and COMMIT around its writes (the remembered desk
    branch), which are writes here too."""
    started = time.perf_counter()
    with db.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
            if cursor.description:
                cursor.fetchall()
    return (time.perf_counter() - started) * 1000


CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def costliest(db: psycopg.Connection, statements: list[str], explain: bool) -> list[tuple[float, str, str]]:
    """The page's three slowest statements (median of 5 runs each) and, if asked, their plans."""
    timings = []
    for statement in statements:
        if not statement.upper().startswith(CONTROL):
            timings.append((statistics.median(run_statements(db, [statement]) for _ in range(5)), statement))
    found = []
    for ms, statement in sorted(timings, reverse=True)[:3]:
        plan = ""
        if explain:
            with db.transaction(force_rollback=True), db.cursor() as cursor:  # a write explained is undone
                cursor.execute(f"explain (analyze, buffers) {statement}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
        found.append((ms, statement, plan))
    return found


def measure(url: str, busy_day: datetime.date, runs: int, explain: bool, results) -> None:
    """In a process of its own on the benchmark database: every page, then its SQL alone."""
    os.environ["DATABASE_URL"] = url
    setup_django()
    import time_machine
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.DEBUG = False  # as production runs: no query log, templates without debug information
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collected static files here
    zone = zoneinfo.ZoneInfo(BUSY_ZONE)
    peak = datetime.datetime.combine(busy_day, PEAK, tzinfo=zone)
    with time_machine.travel(peak, tick=True), psycopg.connect(url, autocommit=True, prepare_threshold=None) as db:
        pages = pages_to_measure(busy_day)
        client = Client(SERVER_NAME="localhost")
        client.force_login(get_user_model().objects.get(username="bench-desk"))
        for page in pages:
            headers = {"HTTP_HX_REQUEST": "true"} if page.htmx else {}
            response = client.get(page.url, **headers)
            page.status, page.size = response.status_code, len(response.content)
            if page.status != 200:
                continue
            for _ in range(WARM_UP - 1):
                client.get(page.url, **headers)
            with CaptureQueriesContext(connection) as captured:
                client.get(page.url, **headers)
            page.queries = [query["sql"] for query in captured.captured_queries]
            for _ in range(WARM_UP):
                run_statements(db, page.queries)
            # Page and baseline take turns, so both meet the same machine.
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(page.url, **headers)
                page.page_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (page.url, response.status_code)
                page.sql_ms.append(run_statements(db, page.queries))
            if not page.met:
                page.costliest = costliest(db, page.queries, explain)
    results.put([dataclasses.asdict(page) for page in pages])


def wait_for(process, results) -> list[dict]:
    while True:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            if not process.is_alive():
                raise SystemExit("The measuring process failed (its error is above).") from None


def report(pages: list[Page], members: int, runs: int) -> None:
    print()
    print(f"Server time at {members:,} members, {runs} runs each (ms); baseline: the page's own SQL by bare psycopg")
    columns = ("KB", "queries", "median", "p95", "SQL med", "SQL p95", "ratio")
    header = f"{'page':<40} {columns[0]:>5} {columns[1]:>7}" + "".join(f" {name:>8}" for name in columns[2:]) + "  goal"
    print(header)
    print("-" * len(header))
    for page in pages:
        if page.status != 200:
            print(f"{page.label:<40} HTTP {page.status}: not measured ({page.url})")
            continue
        goal = f"< {page.goal_ms:.0f} ms, <= {RATIO_GOAL:.0f}x: {'met' if page.met else 'MISSED'}"
        print(
            f"{page.label:<40} {page.size / 1024:>5.0f} {len(page.queries):>7} {page.median:>8.1f}"
            f" {p95(page.page_ms):>8.1f} {page.sql_median:>8.1f} {p95(page.sql_ms):>8.1f}"
            f" {ratio(page.median, page.sql_median):>8}  {goal}"
        )
    print(
        "  The floor row is what every desk partial pays before its own work (session, user, permissions,"
        " middleware):\n  below ~10 ms a page's ratio measures that floor rather than the page."
    )
    missed = [page for page in pages if page.status == 200 and not page.met]
    for page in missed:
        print()
        slow = [found for found in page.costliest if found[0] >= SLOW_STATEMENT_MS]
        if not slow:
            print(f"{page.label}: no statement takes {SLOW_STATEMENT_MS:.0f} ms; its time is Django's own")
            print("  (templates, ORM, middleware)")
            continue
        print(f"{page.label}: its costliest statements (median of 5 runs alone)")
        for ms, statement, plan in slow:
            shown = " ".join(statement.split())
            print(f"  {ms:7.1f} ms  {shown[:300]}{' …' if len(shown) > 300 else ''}")
            if plan:
                print("\n".join(f"      {line}" for line in plan.splitlines()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="reuse the database an earlier run built")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE a missed page's costliest statements")
    options = parser.parse_args()
    setup_django()
    print(f"Front desk benchmark: {options.members:,} members, 20 facilities at 3 branches, a year of slots")
    kept = kept_database(options.members) if options.keep else None
    if kept:
        url, busy_day = kept
        with timed(f"reuse the database built earlier (busy day {busy_day}), migrated"):
            run_manage(url, "migrate", "-v0", quiet=True)
    else:
        with timed("create and migrate the benchmark database"):
            url = fresh_database(DATABASE)
        with timed("fill it (members, slots, classes, a year of bookings, the busy day)"):
            busy_day = fill(url, options.members)
    with psycopg.connect(url) as db:
        counts = db.execute(
            "select (select count(*) from benefit_slots), (select count(*) from classes),"
            " (select count(*) from benefit_bookings) + (select count(*) from class_bookings),"
            " (select count(*) from app_private.item_bookings b where b.branch_id = (select id from branches"
            "  where name = 'Midtown') and b.starts_at >= %s and b.starts_at < %s)",
            [
                datetime.datetime.combine(busy_day, datetime.time(), zoneinfo.ZoneInfo(BUSY_ZONE)),
                datetime.datetime.combine(busy_day + datetime.timedelta(days=1), datetime.time(),
                                          zoneinfo.ZoneInfo(BUSY_ZONE)),
            ],
        ).fetchone()  # fmt: skip
    print(f"  {counts[0]:,} slots, {counts[1]:,} classes, {counts[2]:,} bookings, {counts[3]:,} of them on Midtown's")
    print(f"  busy day {busy_day}; pages asked at {PEAK:%H:%M} {BUSY_ZONE}")
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: Django set up on the bench database
    results = spawn.Queue()
    process = spawn.Process(target=measure, args=(url, busy_day, options.runs, options.explain, results))
    process.start()
    pages = [Page(**page) for page in wait_for(process, results)]
    process.join()
    report(pages, options.members, options.runs)


if __name__ == "__main__":
    os.chdir(PROJECT_DIR)
    main()
