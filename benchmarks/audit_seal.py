"""Sealing the audit trail at size: seal_audit's rate at growing backlogs against a plain-SQL hash
chain over the same rows, then verify_audit and export_audit over the whole trail.

    EMBEDDED_DATABASE_DIR=/tmp/pg-bench-audit .venv/bin/python benchmarks/audit_seal.py [--quick]

Creates its own database next to the app's (see common.py). For each backlog (100,000 entries,
then 1,000,000, then 5,000,000; `--quick` stops after 1,000,000), on the trail the earlier steps
left sealed:
  * writes the backlog as the app writes entries (INSERT into audit_logs, queued by its trigger),
    ten organizations and installation-wide entries, at about ten million a year, ending now;
  * baseline: a plain-SQL hash chain over the same rows in the same order, one INSERT … SELECT
    into a copy of audit_seals with its keys (each hash by sha256 of the previous hash and the
    entry's content, a window aggregate), the one statement that does only the chaining;
  * `manage.py seal_audit`, timed inside its process after Django started, with its peak memory.
Prints entries per second for each, seal_audit's share of the baseline's rate and its rate against
the first step's. Goals: the rate at the largest backlog within 20% of the rate at 100,000; at
least 0.5x the baseline; peak memory flat.

Then, over the whole trail (6.1 million entries; `--quick`: 1.1 million): `verify_audit` against
one plain-SQL statement recomputing every hash and link, and `export_audit --format csv` against
COPY of the same rows (benchmarks/audit_export.py's baseline); and `archive_audit --drop` of the
trail's first whole month against COPY of its entries and seals. `--keep` does only this part, on
the trail an earlier run left (each time archiving its next month).

The load average is printed with each figure: on a shared machine, run it a few times.
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile
from pathlib import Path

import psycopg
from audit_export import command_export, copy_baseline
from common import (
    Timing,
    fresh_database,
    ratio,
    server_url,
    setup_django,
    timed,
    timed_here,
    timed_in_child,
    with_database,
)
from psycopg import sql

DATABASE = "clubops_bench_audit_seal"
STEPS = (100_000, 1_000_000, 5_000_000)
ORGANIZATIONS = 10
ENTRIES_A_YEAR = 10_000_000
SECONDS_APART = 365 * 24 * 3600 / ENTRIES_A_YEAR
GOAL_FLAT, GOAL_BASELINE = 0.8, 0.5

# The rows the app writes (as audit_export.py's, with app_private.audit_record's time-ordered ids),
# one organization each in turn and every 50th installation-wide; entry `g` of the whole trail
# lands SECONDS_APART after entry g - 1.
FILL = """
insert into audit_logs (id, occurred_at, organization_id, actor_type, actor_id, actor_label, action, entity_type,
                        entity_id, member_id, branch_id, old_values, new_values, reason, source, request_id,
                        user_agent)
select app_private.uuid_v7(), %(first)s::timestamptz + make_interval(secs => (g - %(start)s) * %(apart)s),
       case when g %% 50 <> 0 then orgs.ids[1 + g %% array_length(orgs.ids, 1)] end,
       'staff', '7', 'Morgan Lead', 'booking.created', 'booking', gen_random_uuid()::text, gen_random_uuid(),
       gen_random_uuid(), null, jsonb_build_object('status', 'confirmed', 'slot', g), '', 'admin', md5(g::text),
       'Mozilla/5.0 (benchmark)'
from generate_series(%(start)s, %(stop)s) g,
     (select array_agg(id order by id) ids from organizations) orgs
"""

# The baseline's own chain: the same sha256 of the previous hash and the content, nothing else.
BASELINE_SETUP = """
create schema if not exists bench;
create or replace function bench.chain_step(state text, content text) returns text
    language sql immutable
begin atomic
    select encode(sha256(convert_to(state || content, 'UTF8')), 'hex');
end;
create or replace aggregate bench.chain(text) (sfunc = bench.chain_step, stype = text, initcond = '{genesis}');
create table if not exists bench.seals (like public.audit_seals including defaults including indexes);
"""
# Each chain goes on from its last position in the copy, as seal_audit's do in the real table.
BASELINE = """
with heads (chain, position) as materialized (
    select chains.chain, coalesce((select max(seal.position) from bench.seals seal where seal.chain = chains.chain), 0)
    from (select distinct chain from audit_pending) chains
)
insert into bench.seals (audit_log_id, occurred_at, chain, position, previous_hash, hash)
select chained.id, chained.occurred_at, chained.chain, heads.position + row_number() over in_order,
       coalesce(lag(chained.hash) over in_order, '{genesis}'), chained.hash
from (
    select entry.id, entry.occurred_at, pending.chain, pending.audit_log_id,
           bench.chain(app_private.audit_entry_content(entry)) over (
               partition by pending.chain order by pending.occurred_at, pending.audit_log_id
               rows between unbounded preceding and current row) as hash
    from audit_pending pending
    join audit_logs entry on entry.id = pending.audit_log_id and entry.occurred_at = pending.occurred_at
) chained
join heads on heads.chain = chained.chain
window in_order as (partition by chained.chain order by chained.occurred_at, chained.audit_log_id)
"""
VERIFY_BASELINE = """
select count(*) filter (where encode(sha256(convert_to(seal.previous_hash || app_private.audit_entry_content(entry),
                                                       'UTF8')), 'hex') <> seal.hash
                           or seal.previous_hash <> coalesce(seal.prior_hash, '{genesis}')),
       count(*)
from (select seal.*, lag(seal.hash) over (partition by seal.chain order by seal.position) as prior_hash
      from audit_seals seal) seal
join audit_logs entry on entry.id = seal.audit_log_id and entry.occurred_at = seal.occurred_at
"""
GENESIS = "0" * 64


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def prepare(url: str, total: int) -> datetime.datetime:
    """Organizations, the baseline's chain function and copy of audit_seals, and the month
    partitions the whole trail will fill; returns the first entry's time."""
    first = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=total * SECONDS_APART)
    months = []
    day = first.date().replace(day=1)
    while day <= datetime.date.today():
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    with psycopg.connect(url) as db:
        db.execute(
            "insert into organizations (id, name, slug)"
            " select gen_random_uuid(), 'Club ' || g, 'club-' || g from generate_series(1, %s) g",
            [ORGANIZATIONS],
        )
        db.execute(BASELINE_SETUP.format(genesis=GENESIS))
        db.execute("select app_private.audit_partitions_ensure(%s::date[])", [months])
    return first


def fill(url: str, first: datetime.datetime, start: int, stop: int) -> None:
    with psycopg.connect(url) as db:
        db.execute(FILL, {"first": first, "start": start, "stop": stop, "apart": SECONDS_APART})
        db.execute("analyze audit_pending")  # as autovacuum would have by the time cron seals


def baseline(url: str) -> Timing:
    with psycopg.connect(url) as db:
        return timed_here(db, lambda: (db.execute(BASELINE.format(genesis=GENESIS)), db.commit()))


def seal(url: str) -> Timing:
    return timed_in_child(url, "from django.core.management import call_command", "call_command('seal_audit')")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Stop at a backlog of 1,000,000 (minutes, not an hour).")
    parser.add_argument("--keep", action="store_true", help="Only verify and export the trail an earlier run sealed.")
    options = parser.parse_args()
    steps = STEPS[:2] if options.quick else STEPS
    setup_django()
    if options.keep:
        whole_trail(with_database(server_url(), DATABASE))
        return
    print(f"Audit sealing benchmark: backlogs of {', '.join(f'{n:,}' for n in steps)} entries ({load()})")
    with timed("create and migrate the benchmark database"):
        url = fresh_database(DATABASE)
    first = prepare(url, sum(steps))

    results, written = [], 0
    for backlog in steps:
        with timed(f"write a backlog of {backlog:,} entries ({load()})"):
            fill(url, first, written + 1, written + backlog)
        written += backlog
        load_before = os.getloadavg()[0]
        base, sealed = baseline(url), seal(url)
        results.append((backlog, base, sealed, max(load_before, os.getloadavg()[0])))
        print(
            f"  {backlog:>9,}: baseline {backlog / base.seconds:>8,.0f}/s,"
            f" seal_audit {backlog / sealed.seconds:>8,.0f}/s"
            f" ({ratio(base.seconds, sealed.seconds)}; by CPU {ratio(base.cpu_seconds, sealed.cpu_seconds)}),"
            f" peak {sealed.peak_mb} MB ({load()})",
            flush=True,
        )

    print()
    print("Entries sealed per second, on the clock and per CPU second (the process's and its backend's):")
    print(
        f"{'backlog':>10} {'trail':>10} {'baseline':>10} {'seal_audit':>10} {'of base':>8} {'of first':>8}"
        f" {'CPU: base':>10} {'seal':>8} {'of base':>8} {'of first':>8} {'peak':>7} {'load':>5}"
    )
    trail = 0
    first_rate = first_cpu_rate = None
    for backlog, base, sealed, highest_load in results:
        trail += backlog
        rate, cpu_rate = backlog / sealed.seconds, backlog / sealed.cpu_seconds
        first_rate, first_cpu_rate = first_rate or rate, first_cpu_rate or cpu_rate
        print(
            f"{backlog:>10,} {trail:>10,} {backlog / base.seconds:>10,.0f} {rate:>10,.0f}"
            f" {ratio(base.seconds, sealed.seconds):>8} {ratio(rate, first_rate):>8}"
            f" {backlog / base.cpu_seconds:>10,.0f} {cpu_rate:>8,.0f} {ratio(base.cpu_seconds, sealed.cpu_seconds):>8}"
            f" {ratio(cpu_rate, first_cpu_rate):>8} {sealed.peak_mb:>4} MB {highest_load:>5.1f}"
        )
    print(
        f"  goals: seal_audit's rate at every backlog >= {GOAL_FLAT:.1f}x its rate at the first, "
        f">= {GOAL_BASELINE:.1f}x the baseline's; peak memory flat"
    )
    whole_trail(url)


def whole_trail(url: str) -> None:
    print()
    print(f"The whole trail ({load()}):")
    with psycopg.connect(url) as db:
        answer = []
        verify_base = timed_here(
            db, lambda: answer.extend(db.execute(VERIFY_BASELINE.format(genesis=GENESIS)).fetchone())
        )
    broken, trail = answer
    assert broken == 0, f"{broken} seals do not verify"
    print(f"  {trail:,} entries")
    verify = timed_in_child(url, "from django.core.management import call_command", "call_command('verify_audit')")
    report("verify_audit", verify, "one SQL statement", verify_base, trail)
    export_base, size = copy_baseline(url, "2000-01-01")
    export = command_export(url, "2000-01-01")
    report("export_audit", export, f"COPY ({size / 1e9:.1f} GB of CSV)", export_base, trail)
    print("  goals: verify_audit <= 2x its statement, export_audit <= 1.5x COPY; memory flat")
    archive_a_month(url)


def archive_a_month(url: str) -> None:
    """archive_audit --drop of the trail's first whole month, against COPY of its entries and seals."""
    from audit.archive import month_bounds

    with psycopg.connect(url) as db:
        oldest = db.execute("select min(occurred_at) from audit_logs").fetchone()[0]
        month = (oldest.date().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        start, end = month_bounds(month)
        entries = db.execute(
            "select count(*) from audit_logs where occurred_at >= %s and occurred_at < %s", [start, end]
        ).fetchone()[0]
        statement = sql.SQL(
            "copy (select entry.*, seal.* from audit_logs entry"
            " join audit_seals seal on seal.audit_log_id = entry.id and seal.occurred_at = entry.occurred_at"
            " where entry.occurred_at >= {start} and entry.occurred_at < {end} order by seal.chain, seal.position)"
            " to stdout"
        ).format(start=sql.Literal(start), end=sql.Literal(end))

        def read() -> None:
            with db.cursor() as cursor, cursor.copy(statement) as copy:
                for _ in copy:
                    pass

        base = timed_here(db, read)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "archive.jsonl"
        archived = timed_in_child(
            url,
            "from django.core.management import call_command",
            f"call_command('archive_audit', '--month', '{month:%Y-%m}', '--to', '{target}', '--drop')",
        )
        size = target.stat().st_size
    report(f"archive_audit --drop of {month:%Y-%m}", archived, "COPY of its entries and seals", base, entries)
    print(f"  ({entries:,} entries, an archive of {size / 1e9:.2f} GB; goal: memory flat)")


def report(label: str, timing: Timing, baseline_label: str, base: Timing, entries: int) -> None:
    print(
        f"  {label} {timing.seconds:7.1f} s ({entries / timing.seconds:,.0f}/s, CPU {timing.cpu_seconds:.1f} s,"
        f" {timing.peak_mb} MB) against {baseline_label} {base.seconds:7.1f} s (CPU {base.cpu_seconds:.1f} s):"
        f" {ratio(timing.seconds, base.seconds)}, by CPU {ratio(timing.cpu_seconds, base.cpu_seconds)} ({load()})"
    )


if __name__ == "__main__":
    main()
