"""The managers' reports at a year of history: each page against its bare SQL aggregate, in one run.

    EMBEDDED_DATABASE_DIR=/tmp/pg-bench-reports .venv/bin/python benchmarks/reports.py [--runs 15] [--keep] [--explain]

One organization with three branches (Midtown in America/New_York, the busy one: 12 recovery
facilities and 16 classes a day; Kensington in Europe/London and Bandra in Asia/Kolkata: 6 and 8
each), a year of half-hour slots from 06:00 to 21:30 and classes ending yesterday, about two million
bookings with their fates (attended, no-show, late and free cancellations, a few never marked),
waitlists on the fuller classes and sessions (some promoted, some left, some still waiting), a few
hundred capacity and entitlement overrides by three managers, and the audit trail's entry of every
booking and promotion (about two million entries), as the engine would have written them. Built by
INSERT … SELECT generate_series as the tables' owner with no trigger running (consistent by
construction, as a restore writes it), in about five minutes.

Each report page (Utilisation, Attendance, Waitlists, Overrides) is asked for Midtown through
Django's test client by a manager with DEBUG off, as production runs, for the default period (the
last four weeks ending yesterday) and for the last 13 weeks (a report covers at most a quarter).
Per page, in the same run and taking turns: the page's server time (median and 95th percentile
over --runs requests, after warm-up), and the baseline: the report's own SQL aggregate (the
statement the page ran, captured once) run by a bare psycopg connection without Django, every row
fetched. Goal for each: under one second, and within 1.5x of its SQL. The reports' index (the same
session, user, permissions and branches, no aggregate) is measured too: the floor every report
page pays before its own work. --explain prints the aggregate's plan for each page.

--keep reuses the database an earlier run built (migrated first) instead of building it again.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import multiprocessing
import os
import queue
import statistics
import time
import warnings
import zoneinfo

import psycopg
from common import PROJECT_DIR, fresh_database, ratio, run_manage, server_url, setup_django, timed, with_database

DATABASE = "clubops_bench_reports"
BUSY_ZONE = "America/New_York"
DAYS = 365
WARM_UP = 3
PAGE_GOAL_MS, RATIO_GOAL = 1000.0, 1.5
MEMBERS = 60_000

BRANCHES = [
    # name, zone, facilities, places per slot, classes a day, places per class, share of places booked (low, high)
    ("Midtown", BUSY_ZONE, 12, 12, 16, 30, (0.3, 1.1)),
    ("Kensington", "Europe/London", 6, 8, 8, 20, (0.25, 1.0)),
    ("Bandra", "Asia/Kolkata", 6, 8, 8, 20, (0.25, 1.0)),
]
FACILITY_KINDS = ["sauna", "infrared_sauna", "steam_room", "cold_plunge", "hot_tub", "cryotherapy", "compression"]
CLASS_TITLES = ["Spin", "Yoga flow", "HIIT", "Pilates", "Boxing", "Barre", "Strength", "Mobility"]
MANAGERS = [("bench-manager", "Morgan", "Lead"), ("bench-jo", "Jo", "Park"), ("bench-sam", "Sam", "Okoro")]
REASONS = ["vip", "medical", "service_recovery", "staff_error", "manager_discretion", "other"]
MEMBER_ID = "md5('bench-member-' || ({g}))::uuid"

# A booking's fate from a random draw `o`: the year is over, so nearly every booking is marked.
FATE = """
    case when o < .80 then 'attended' when o < .88 then 'no_show' when o < .97 then 'cancelled' else 'confirmed' end
"""


def bench_url() -> str:
    return with_database(server_url(), DATABASE)


def kept_database() -> tuple[str, datetime.date] | None:
    try:
        with psycopg.connect(bench_url()) as db:
            row = db.execute("select last_day from bench_meta").fetchone()
    except psycopg.Error:
        return None
    return (bench_url(), row[0]) if row else None


def fill(url: str, days: int = DAYS) -> datetime.date:
    """Build the club and its year; return its last day (yesterday in New York)."""
    from access.staff_groups import MANAGER

    last_day = datetime.datetime.now(zoneinfo.ZoneInfo(BUSY_ZONE)).date() - datetime.timedelta(days=1)
    first_day = last_day - datetime.timedelta(days=days - 1)
    with psycopg.connect(url) as db:
        db.execute("set synchronous_commit = off")
        org = db.execute(
            "insert into organizations (id, name, slug) values (gen_random_uuid(), 'Bench club', 'bench') returning id"
        ).fetchone()[0]
        for number, (name, zone, facilities, places, classes, class_places, _) in enumerate(BRANCHES):
            branch = db.execute(
                "insert into branches (id, organization_id, name, time_zone, address)"
                " values (gen_random_uuid(), %s, %s, %s, '1 Bench Street') returning id",
                [org, name, zone],
            ).fetchone()[0]
            db.execute(
                """
                with f as (insert into facilities (id, organization_id, branch_id, name, kind, capacity)
                           select gen_random_uuid(), %(org)s, %(branch)s, initcap(replace(kind, '_', ' ')) || ' ' || g,
                                  kind, %(places)s
                           from generate_series(1, %(facilities)s) g,
                                lateral (select (%(kinds)s::text[])[1 + (g + %(number)s) %% 7] as kind) k
                           returning id)
                insert into benefit_settings (id, organization_id, facility_id, booking_window_days)
                select gen_random_uuid(), %(org)s, id, 14 from f
                """,
                {"org": org, "branch": branch, "places": places, "facilities": facilities, "kinds": FACILITY_KINDS,
                 "number": number},
            )  # fmt: skip
            with timed(f"{name}: a year of slots and classes"):
                db.execute(
                    """
                    insert into benefit_slots (id, organization_id, facility_id, starts_at, ends_at, capacity)
                    select gen_random_uuid(), %(org)s, f.id, start at time zone %(zone)s,
                           (start + interval '30 minutes') at time zone %(zone)s, f.capacity
                    from facilities f
                    cross join generate_series(%(first)s::timestamp, %(last)s::timestamp, interval '1 day') day
                    cross join lateral generate_series(day + interval '6 hours', day + interval '21 hours 30 minutes',
                                                       interval '30 minutes') start
                    where f.branch_id = %(branch)s
                    """,
                    {"org": org, "branch": branch, "zone": zone, "first": first_day, "last": last_day},
                )
                # a weekly timetable: each weekday its own titles at the same times
                db.execute(
                    """
                    insert into classes (id, organization_id, branch_id, title, instructor, starts_at, ends_at,
                                         capacity)
                    select gen_random_uuid(), %(org)s, %(branch)s,
                           (%(titles)s::text[])[1 + (i * 3 + extract(isodow from day)::int) %% 8], 'Priya Shah',
                           start at time zone %(zone)s, (start + interval '45 minutes') at time zone %(zone)s,
                           %(places)s
                    from generate_series(%(first)s::timestamp, %(last)s::timestamp, interval '1 day') day
                    cross join generate_series(0, %(classes)s - 1) i
                    cross join lateral (select day + interval '6 hours' + i * (interval '16 hours' / %(classes)s))
                        s(start)
                    """,
                    {"org": org, "branch": branch, "zone": zone, "titles": CLASS_TITLES, "places": class_places,
                     "first": first_day, "last": last_day, "classes": classes},
                )  # fmt: skip
        with timed(f"{MEMBERS:,} members"):
            db.execute(
                f"""
                insert into members (id, organization_id, home_branch_id, member_number, first_name, last_name,
                                     email, phone, status)
                select {MEMBER_ID.format(g="g")}, %(org)s,
                       (select id from branches where name = (%(names)s::text[])[1 + g %% 3]),
                       'M' || lpad(g::text, 6, '0'), 'Member', g::text, '', '', 'active'
                from generate_series(1, %(members)s) g
                """,
                {"org": org, "members": MEMBERS, "names": [branch[0] for branch in BRANCHES]},
            )
        users = []
        for username, first, last in MANAGERS:
            users.append(
                db.execute(
                    "insert into auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
                    " is_active, date_joined) values ('!', false, %s, %s, %s, '', true, true, now()) returning id",
                    [username, first, last],
                ).fetchone()[0]
            )
        db.execute(
            "insert into auth_user_groups (user_id, group_id) select u, g.id from unnest(%s::integer[]) u,"
            " auth_group g where g.name = %s",
            [users, MANAGER],
        )
        db.commit()
        # Consistent by construction: no trigger runs while the year is written (the engine's rules,
        # its audit entries, which are written here as it would, and the foreign keys' checks).
        db.execute("set session_replication_role = replica")
        db.execute("set maintenance_work_mem = '512MB'")
        db.execute("select setseed(0.2026)")
        # The tables' plain indexes are built once at the end, in one sorted pass each, rather than
        # kept up row by row (the unique ones stay: ON CONFLICT reads them).
        indexes = db.execute(
            "select indexrelid::regclass::text, pg_get_indexdef(indexrelid) from pg_index"
            " where indrelid = any(array['benefit_bookings', 'class_bookings', 'audit_logs']::regclass[])"
            " and not indisunique"
        ).fetchall()
        for name, _ in indexes:
            db.execute(f"drop index {name}")
        fill_bookings(db, org, users)
        with timed(f"{len(indexes)} indexes of the bookings and the audit trail, built"):
            for _, definition in indexes:
                db.execute(definition)
        db.execute("create table bench_meta (last_day date not null)")
        db.execute("insert into bench_meta values (%s)", [last_day])
        db.commit()
    with psycopg.connect(url, autocommit=True) as db:
        with timed("vacuum analyze"):
            db.execute("vacuum analyze")
    return last_day


def fill_bookings(db, org, managers: list[int]) -> None:
    """The year's bookings of each table, and the audit entries the engine writes with them."""
    member = MEMBER_ID.format(g="1 + (hashtext(i.id::text)::bigint + 2147483648 + k * 7919) %% %(members)s")
    shares = " ".join(f"when '{name}' then {low} + ({high} - {low}) * random()" for name, *_, (low, high) in BRANCHES)
    params = {"org": org, "members": MEMBERS, "managers": managers, "reasons": REASONS}
    for table, kind, item_column, items, waitlists in (
        ("benefit_bookings", "slot", "slot_id",
         "select s.id, s.starts_at, s.capacity, f.branch_id, b.name as branch from benefit_slots s"
         " join facilities f on f.id = s.facility_id join branches b on b.id = f.branch_id", 0.08),
        ("class_bookings", "class", "class_id",
         "select c.id, c.starts_at, c.capacity, c.branch_id, b.name as branch from classes c"
         " join branches b on b.id = c.branch_id", 0.35),
    ):  # fmt: skip
        # Each item: how many want it (beyond its capacity: the waitlist, on a share of items), and
        # whether a manager booked one or two beyond it.
        with timed(f"{table}: the items' demand"):
            db.execute("drop table if exists wished")
            db.execute(
                f"""
                create unlogged table wished as
                select i.*, least(ceil(i.capacity * share), i.capacity)::integer as booked,
                       case when i.capacity * share >= i.capacity and random() < {waitlists}
                            then 1 + floor(random() * 6)::integer else 0 end as waiting,
                       case when random() < .004 then 1 + (random() < .3)::integer else 0 end as beyond,
                       random() < .001 as entitlement_override
                from (select i.*, case i.branch {shares} end as share from ({items}) i) i
                """,
                params,
            )
        audit = """
            insert into audit_logs (id, occurred_at, organization_id, actor_type, actor_id, actor_label, action,
                                    entity_type, entity_id, member_id, branch_id, new_values, reason, source,
                                    request_id, user_agent)
            select gen_random_uuid(), {at}, %(org)s, 'member', b.member_id::text, 'Member', {action}, 'booking',
                   b.id::text, b.member_id, w.branch_id,
                   jsonb_build_object('kind', '{kind}', 'item', b.{item_column}, 'status', {status},
                                      'channel', b.channel),
                   {reason}, 'api', '', ''
            from b join wished w on w.id = b.{item_column}
        """
        columns = (
            f"id, organization_id, member_id, {item_column}, status, channel, created_at, updated_at, checked_in_at,"
            " cancelled_at, is_late_cancellation, capacity_override, override_reason_code, override_reason,"
            " overridden_rules, capacity_at_booking, places_taken_before, booked_by_user_id"
        )
        returning = (
            f"id, member_id, {item_column}, channel, created_at, updated_at, status, capacity_override,"
            " override_reason_code, override_reason"
        )
        fate = """
            status, case when o < .6 then 'member_app' else 'concierge' end, created_at, created_at,
            case when status = 'attended' then starts_at - interval '5 minutes' end,
            case when status = 'cancelled' then least(starts_at - interval '30 minutes', created_at + interval '1 hour')
                 end,
            status = 'cancelled' and o < .94
        """
        with timed(f"{table}: the places booked, and their audit entries"):
            db.execute(
                f"""
                with b as (
                    insert into {table} ({columns})
                    select gen_random_uuid(), %(org)s, member_id, id, {fate}, false, '', '', '{{}}', null, null, null
                    from (select i.*, {member} as member_id, random() as o,
                                 i.starts_at - make_interval(hours => 2 + (k * 37) %% 300) as created_at
                          from wished i cross join generate_series(1, i.booked) k) b,
                         lateral (select {FATE} as status) s
                    on conflict do nothing
                    returning {returning}
                )
                {audit.format(at="b.created_at", action="'booking.created'", kind=kind, item_column=item_column,
                              status="'confirmed'", reason="''")}
                """,
                params,
            )  # fmt: skip
        # The waitlist: joined when the item was full; promoted (then attended, a no-show or never
        # marked), left (cancelled while waiting) or still waiting when it started. A promotion has
        # its own entry, a while after joining; `updated_at` holds its moment.
        with timed(f"{table}: waitlists, promotions and their audit entries"):
            db.execute(
                f"""
                with b as (
                    insert into {table} ({columns})
                    select gen_random_uuid(), %(org)s, member_id, id, status, 'member_app', created_at,
                           case when status in ('attended', 'no_show', 'confirmed')
                                then created_at + (starts_at - created_at) * random() * .9 else created_at end,
                           case when status = 'attended' then starts_at - interval '5 minutes' end,
                           case when status = 'cancelled' then created_at + (starts_at - created_at) / 2 end,
                           false, false, '', '', '{{}}', null, null, null
                    from (select i.*, {member.replace("k * 7919", "(k + 40) * 7919")} as member_id,
                                 i.starts_at - make_interval(hours => 3 + (k * 53) %% 200) as created_at,
                                 case when o < .45 then 'waitlisted' when o < .60 then 'cancelled'
                                      when o < .92 then 'attended' when o < .97 then 'no_show' else 'confirmed' end
                                     as status
                          from (select i.*, random() as o, k from wished i
                                cross join generate_series(1, i.waiting) k where i.waiting > 0) i) b
                    on conflict do nothing
                    returning {returning}
                ), joined as (
                    {audit.format(at="b.created_at", action="'booking.waitlisted'", kind=kind,
                                  item_column=item_column, status="'waitlisted'", reason="''")}
                )
                {audit.format(at="b.updated_at", action="'booking.waitlist_promoted'", kind=kind,
                              item_column=item_column, status="'confirmed'", reason="''")}
                where b.status in ('attended', 'no_show', 'confirmed')
                """,
                params,
            )  # fmt: skip
        with timed(f"{table}: overrides and their audit entries"):
            db.execute(
                f"""
                with b as (
                    insert into {table} ({columns})
                    select gen_random_uuid(), %(org)s, member_id, id, {fate}, true, reason,
                           (%(reasons)s::text[])[1 + k] || ' note ' || (k * 7 + extract(doy from starts_at)::int),
                           case when capacity_rule then '{{capacity}}'::varchar[] else '{{entitlement}}'::varchar[] end,
                           capacity, case when capacity_rule then capacity + k - 1 else booked - 1 end,
                           (%(managers)s::integer[])[1 + (k + extract(doy from starts_at)::int) %% 3]
                    from (select i.*, k, {member.replace("k * 7919", "(k + 90) * 7919")} as member_id, random() as o,
                                 i.starts_at - make_interval(hours => 1 + k) as created_at,
                                 (%(reasons)s::text[])[1 + floor(random() * 6)::integer] as reason,
                                 i.beyond > 0 as capacity_rule
                          from wished i
                          cross join generate_series(1, greatest(i.beyond, i.entitlement_override::integer)) k
                          where (i.beyond > 0 and i.booked = i.capacity) or i.entitlement_override) b,
                         lateral (select {FATE} as status) s
                    on conflict do nothing
                    returning {returning}
                )
                {audit.format(at="b.created_at", action="'booking.capacity_overridden'", kind=kind,
                              item_column=item_column, status="'confirmed'",
                              reason="b.override_reason_code || ': ' || b.override_reason")}
                """,
                params,
            )  # fmt: skip
        db.execute("drop table wished")


@dataclasses.dataclass
class Page:
    label: str
    url: str
    status: int = 0
    size: int = 0
    queries: int = 0
    aggregate: str = ""
    plan: str = ""
    page_ms: list[float] = dataclasses.field(default_factory=list)
    sql_ms: list[float] = dataclasses.field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.page_ms)

    @property
    def sql_median(self) -> float:
        return statistics.median(self.sql_ms) if self.sql_ms else 0.0

    @property
    def met(self) -> bool:
        return self.median < PAGE_GOAL_MS and (not self.sql_ms or self.median <= RATIO_GOAL * self.sql_median)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * 0.95), len(ordered) - 1)]


def pages_to_measure(last_day: datetime.date) -> list[Page]:
    from clubs.models import Branch

    midtown = Branch.objects.get(name="Midtown")
    quarter = f"&from={last_day - datetime.timedelta(days=90)}&to={last_day}"
    pages = [Page("Reports' index (the floor)", f"/admin/reports/report/?branch={midtown.pk}")]
    for slug, title in (("utilisation", "Utilisation"), ("attendance", "Attendance"), ("waitlists", "Waitlists"),
                        ("overrides", "Overrides")):  # fmt: skip
        base = f"/admin/reports/report/{slug}/?branch={midtown.pk}"
        pages.append(Page(f"{title}: 4 weeks (default)", base))
        pages.append(Page(f"{title}: 13 weeks", base + quarter))
    return pages


def run_statement(db: psycopg.Connection, statement: str) -> float:
    started = time.perf_counter()
    with db.cursor() as cursor:
        cursor.execute(statement)
        cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def measure(url: str, last_day: datetime.date, runs: int, explain: bool, results) -> None:
    """In a process of its own on the benchmark database: each page, then its aggregate alone."""
    os.environ["DATABASE_URL"] = url
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.DEBUG = False
    warnings.filterwarnings("ignore", message="No directory at")
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as db:
        pages = pages_to_measure(last_day)
        client = Client(SERVER_NAME="localhost")
        client.force_login(get_user_model().objects.get(username="bench-manager"))
        for page in pages:
            response = client.get(page.url)
            page.status, page.size = response.status_code, len(response.content)
            if page.status != 200:
                continue
            for _ in range(WARM_UP - 1):
                client.get(page.url)
            with CaptureQueriesContext(connection) as captured:
                client.get(page.url)
            statements = [query["sql"] for query in captured.captured_queries]
            page.queries = len(statements)
            page.aggregate = next((statement for statement in statements if "grouping sets" in statement), "")
            for _ in range(WARM_UP if page.aggregate else 0):
                run_statement(db, page.aggregate)
            for _ in range(runs):  # page and baseline take turns, so both meet the same machine
                started = time.perf_counter()
                response = client.get(page.url)
                page.page_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (page.url, response.status_code)
                if page.aggregate:
                    page.sql_ms.append(run_statement(db, page.aggregate))
            if explain and page.aggregate:
                rows = db.execute(f"explain (analyze, buffers) {page.aggregate}").fetchall()
                page.plan = "\n".join(row[0] for row in rows)
    results.put([dataclasses.asdict(page) for page in pages])


def wait_for(process, results) -> list[dict]:
    while True:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            if not process.is_alive():
                raise SystemExit("The measuring process failed (its error is above).") from None


def report(pages: list[Page], runs: int) -> None:
    print()
    print(
        f"Server time of each report page at Midtown, {runs} runs each (ms);"
        " baseline: its SQL aggregate by bare psycopg"
    )
    columns = ("KB", "queries", "median", "p95", "SQL med", "SQL p95", "ratio")
    header = f"{'page':<34} {columns[0]:>5} {columns[1]:>7}" + "".join(f" {name:>8}" for name in columns[2:]) + "  goal"
    print(header)
    print("-" * len(header))
    for page in pages:
        if page.status != 200:
            print(f"{page.label:<34} HTTP {page.status}: not measured ({page.url})")
            continue
        if not page.sql_ms:
            print(
                f"{page.label:<34} {page.size / 1024:>5.0f} {page.queries:>7} {page.median:>8.1f}"
                f" {p95(page.page_ms):>8.1f} {'–':>8} {'–':>8} {'–':>8}  (no aggregate)"
            )
            continue
        goal = f"< {PAGE_GOAL_MS:.0f} ms, <= {RATIO_GOAL}x: {'met' if page.met else 'MISSED'}"
        print(
            f"{page.label:<34} {page.size / 1024:>5.0f} {page.queries:>7} {page.median:>8.1f}"
            f" {p95(page.page_ms):>8.1f} {page.sql_median:>8.1f} {p95(page.sql_ms):>8.1f}"
            f" {ratio(page.median, page.sql_median):>8}  {goal}"
        )
    print(
        "  The floor row is what every report page pays before its own work (session, user, permissions,"
        " branches,\n  middleware, the admin's page): a report whose aggregate takes a few ms measures that"
        " floor, not itself."
    )
    for page in pages:
        if page.plan:
            print(
                f"\n{page.label}: its aggregate's plan\n" + "\n".join(f"    {line}" for line in page.plan.splitlines())
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="reuse the database an earlier run built")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's aggregate")
    parser.add_argument("--days", type=int, default=DAYS, help="of history (a smaller club to try the script)")
    options = parser.parse_args()
    setup_django()
    print("Reports benchmark: a year of 3 branches (24 facilities, 32 classes a day), about two million bookings")
    kept = kept_database() if options.keep else None
    if kept:
        url, last_day = kept
        with timed(f"reuse the database built earlier (last day {last_day}), migrated"):
            run_manage(url, "migrate", "-v0", quiet=True)
    else:
        with timed("create and migrate the benchmark database"):
            url = fresh_database(DATABASE)
        with timed("fill it (a year of slots, classes, bookings, waitlists, overrides, audit entries)"):
            last_day = fill(url, options.days)
    with psycopg.connect(url) as db:
        counts = db.execute(
            "select (select count(*) from benefit_slots), (select count(*) from classes),"
            " (select count(*) from benefit_bookings) + (select count(*) from class_bookings),"
            " (select count(*) from audit_logs),"
            " (select count(*) from audit_logs where action = 'booking.waitlisted'),"
            " (select count(*) from benefit_bookings where capacity_override)"
            " + (select count(*) from class_bookings where capacity_override)"
        ).fetchone()
    print(
        f"  {counts[0]:,} slots, {counts[1]:,} classes, {counts[2]:,} bookings, {counts[3]:,} audit entries"
        f" ({counts[4]:,} waitlist places), {counts[5]:,} overrides; last day {last_day}"
    )
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    process = spawn.Process(target=measure, args=(url, last_day, options.runs, options.explain, results))
    process.start()
    pages = [Page(**page) for page in wait_for(process, results)]
    process.join()
    report(pages, options.runs)


if __name__ == "__main__":
    os.chdir(PROJECT_DIR)
    main()
