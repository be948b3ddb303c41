"""Slot generation at size: `manage.py ensure_slots` against a plain INSERT … SELECT.

    .venv/bin/python benchmarks/slot_generation.py [--facilities 100] [--days 365]

One branch with N facilities (default settings: 06:00 to 22:00 in 30-minute slots, every day)
over D days: about 1.17 million slots at the defaults. In the same run and database:
  * baseline: INSERT … SELECT … generate_series … ON CONFLICT DO NOTHING of the same rows into a
    copy of benefit_slots (same columns, keys, indexes and foreign keys), then the same statement
    again, which finds every row present (the no-op re-run);
  * `manage.py ensure_slots` for the same branch and days, twice; time measured inside the
    process after Django started, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import datetime
import time

import psycopg
from common import fresh_database, ratio, run_python, setup_django, timed

BASELINE_TABLE = """
    create table bench_slots (like benefit_slots including all);
    alter table bench_slots
        add foreign key (facility_id) references facilities (id) deferrable initially deferred,
        add foreign key (organization_id) references organizations (id) deferrable initially deferred,
        add foreign key (facility_id, organization_id) references facilities (id, organization_id);
"""
BASELINE_INSERT = """
    insert into bench_slots (id, organization_id, facility_id, starts_at, ends_at, capacity)
    select gen_random_uuid(), f.organization_id, f.id, slot_start at time zone 'Europe/London',
           slot_start at time zone 'Europe/London' + interval '30 minutes', f.capacity
    from facilities f
    cross join generate_series(%(start)s::timestamp, %(end)s::timestamp, interval '1 day') day
    cross join generate_series(day + time '06:00', day + time '21:30', interval '30 minutes') slot_start
    where f.branch_id = %(branch)s
    on conflict (facility_id, starts_at) do nothing
"""


def fill(url: str, facilities: int) -> str:
    with psycopg.connect(url) as db:
        branch = db.execute(
            """
            with o as (insert into organizations (id, name, slug)
                       values (gen_random_uuid(), 'Bench club', 'bench') returning id)
            insert into branches (id, organization_id, name, time_zone, address)
            select gen_random_uuid(), id, 'Bench branch', 'Europe/London', '' from o returning id
            """
        ).fetchone()[0]
        db.execute(
            """
            insert into facilities (id, organization_id, branch_id, name, kind, capacity)
            select gen_random_uuid(), b.organization_id, b.id, 'Facility ' || g, 'sauna', 6
            from branches b, generate_series(1, %s) g where b.id = %s
            """,
            [facilities, branch],
        )
        db.execute(BASELINE_TABLE)
    return str(branch)


def baseline(url: str, params: dict) -> tuple[float, int]:
    with psycopg.connect(url) as db:
        started = time.perf_counter()
        rows = db.execute(BASELINE_INSERT, params).rowcount
        db.commit()
        return time.perf_counter() - started, rows


def ensure_slots(url: str, branch: str, start: datetime.date, days: int) -> tuple[float, int]:
    return_code = (
        "import time\n"
        "from io import StringIO\n"
        "from django.core.management import call_command\n"
        "started = time.perf_counter()\n"
        f"call_command('ensure_slots', '--branch', {branch!r}, '--start', {start.isoformat()!r}, "
        f"'--days', '{days}', stdout=StringIO())\n"
        "print('ELAPSED', time.perf_counter() - started)"
    )
    _, peak, output = run_python(url, return_code)
    return float(output.split("ELAPSED", 1)[1].split()[0]), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    options = parser.parse_args()
    setup_django()
    start = datetime.date.today() + datetime.timedelta(days=1)
    end = start + datetime.timedelta(days=options.days - 1)
    print(f"Slot generation benchmark: {options.facilities} facilities, {options.days} days")
    with timed("create and migrate the benchmark database"):
        url = fresh_database("clubops_bench_slots")
    branch = fill(url, options.facilities)
    params = {"start": start, "end": end, "branch": branch}

    first_baseline, rows = baseline(url, params)
    again_baseline, _ = baseline(url, params)
    first_run, first_mb = ensure_slots(url, branch, start, options.days)
    again_run, again_mb = ensure_slots(url, branch, start, options.days)
    with psycopg.connect(url) as db:
        made = db.execute("select count(*) from benefit_slots").fetchone()[0]

    print()
    print(f"{rows:,} slots by the baseline, {made:,} by ensure_slots")
    print(f"{'':>18} {'baseline':>10} {'ensure_slots':>14} {'ratio':>7} {'peak memory':>12}")
    rows_out = [
        ("first run", first_baseline, first_run, first_mb),
        ("second run (no-op)", again_baseline, again_run, again_mb),
    ]
    for label, plain, ours, memory in rows_out:
        print(f"{label:>18} {plain:>8.2f} s {ours:>12.2f} s {ratio(ours, plain):>7} {memory:>9} MB")
    print("  goals: at most 1.3x the baseline on both runs; the Python process under 150 MB")


if __name__ == "__main__":
    main()
