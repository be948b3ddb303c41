"""Slot generation at size: `manage.py ensure_slots` against plain INSERT … SELECT into two tables.

    .venv/bin/python benchmarks/slot_generation.py [--facilities 100] [--days 365] [--rounds 3]

One branch with N facilities (default settings: 06:00 to 22:00 in 30-minute slots, every day)
over D days: about 1.17 million slots at the defaults. Each round, in the same database and one
after the other, so that all three meet the same machine:
  * lean: INSERT … SELECT … generate_series … ON CONFLICT DO NOTHING of the same rows into the
    least a slot table needs (a bigint key, a foreign key to its facility, the unique start per
    facility), then the same statement again, which finds every row present (the no-op re-run);
  * copy: the same two statements into a copy of benefit_slots carrying its whole write cost
    (its columns and key default, its indexes, checks and foreign keys, read from the catalog);
  * `manage.py ensure_slots` for the same branch and days, twice; time measured inside the
    process after Django started, and the process's peak memory.
The copy's gap to the lean table is the schema's write cost; ensure_slots' gap to the copy is the
generator's own. Every table is emptied and checkpointed before each round's measurements. Other
agents may share the machine: compare the ratios of one round (each round prints its own), and
the median ratio over the rounds.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time

import psycopg
from common import fresh_database, ratio, run_python, setup_django, table_copy_sql, timed

LEAN_TABLE = """
    create table bench_lean_slots (
        id bigint generated always as identity primary key,
        created_at timestamptz not null default statement_timestamp(),
        organization_id uuid not null,
        facility_id uuid not null references facilities (id),
        starts_at timestamptz not null,
        ends_at timestamptz not null,
        capacity smallint not null,
        unique (facility_id, starts_at)
    )
"""
COPY_TABLE = table_copy_sql("benefit_slots", "bench_slots")
INSERT = """
    insert into {table} (organization_id, facility_id, starts_at, ends_at, capacity)
    select f.organization_id, f.id, slot_start at time zone 'Europe/London',
           slot_start at time zone 'Europe/London' + interval '30 minutes', f.capacity
    from facilities f
    cross join generate_series(%(start)s::timestamp, %(end)s::timestamp, interval '1 day') day
    cross join generate_series(day + time '06:00', day + time '21:30', interval '30 minutes') slot_start
    where f.branch_id = %(branch)s
    on conflict (facility_id, starts_at) do nothing
"""
TABLES = ("bench_lean_slots", "bench_slots")
RUNS = ("first run", "no-op re-run")
GOALS = {"first run": 1.6, "no-op re-run": 1.3}


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
        db.execute(LEAN_TABLE)
        db.execute(COPY_TABLE)
    return str(branch)


def start_afresh(url: str) -> None:
    """Empty every slot table and write every dirty page out, so that no measurement pays for
    the previous one's checkpoint."""
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("truncate bench_lean_slots, bench_slots, benefit_slots cascade")
        db.execute("checkpoint")


def plain_insert(url: str, table: str, params: dict) -> tuple[float, int]:
    with psycopg.connect(url) as db:
        started = time.perf_counter()
        rows = db.execute(INSERT.format(table=table), params).rowcount
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


def measure_round(url: str, branch: str, start: datetime.date, days: int, params: dict) -> dict:
    """Seconds by (run, what): each plain table's two runs, then ensure_slots' two."""
    start_afresh(url)
    seconds, memory = {}, []
    for table in TABLES:
        for run in RUNS:
            seconds[run, table], rows = plain_insert(url, table, params)
            if run == RUNS[0] and rows == 0:
                raise SystemExit(f"{table}: the first run inserted nothing")
    for run in RUNS:
        seconds[run, "ensure_slots"], peak = ensure_slots(url, branch, start, days)
        memory.append(peak)
    seconds["peak_mb"] = max(memory)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    setup_django()
    start = datetime.date.today() + datetime.timedelta(days=1)
    end = start + datetime.timedelta(days=options.days - 1)
    print(f"Slot generation benchmark: {options.facilities} facilities, {options.days} days")
    with timed("create and migrate the benchmark database"):
        url = fresh_database("clubops_bench_slots")
    branch = fill(url, options.facilities)
    params = {"start": start, "end": end, "branch": branch}

    rounds = []
    print(f"{'':>8} {'':>14} {'lean':>9} {'copy':>9} {'ensure_slots':>13} {'copy/lean':>10} {'ours/lean':>10}"
          f" {'ours/copy':>10}")  # fmt: skip
    for number in range(1, options.rounds + 1):
        figures = measure_round(url, branch, start, options.days, params)
        rounds.append(figures)
        for run in RUNS:
            lean, copy, ours = (figures[run, what] for what in (*TABLES, "ensure_slots"))
            print(f"round {number:>2} {run:>14} {lean:>7.2f} s {copy:>7.2f} s {ours:>11.2f} s"
                  f" {ratio(copy, lean):>10} {ratio(ours, lean):>10} {ratio(ours, copy):>10}", flush=True)  # fmt: skip
    with psycopg.connect(url) as db:
        made = db.execute("select count(*) from benefit_slots").fetchone()[0]
        rows = db.execute("select count(*) from bench_lean_slots").fetchone()[0]

    print()
    print(f"{rows:,} slots by the plain statements, {made:,} by ensure_slots;"
          f" ensure_slots' peak memory {max(r['peak_mb'] for r in rounds)} MB (goal under 150 MB)")  # fmt: skip
    print(f"median over {len(rounds)} rounds of each round's ratio:")
    for run in RUNS:
        ours_to_lean = statistics.median(r[run, "ensure_slots"] / r[run, TABLES[0]] for r in rounds)
        copy_to_lean = statistics.median(r[run, TABLES[1]] / r[run, TABLES[0]] for r in rounds)
        print(f"  {run:>14}: ensure_slots {ours_to_lean:.2f}x the lean table (goal at most {GOALS[run]}x),"
              f" the copy of benefit_slots {copy_to_lean:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
