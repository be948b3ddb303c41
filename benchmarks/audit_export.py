"""Audit trail at size: export speed and memory against COPY, and what an entry adds to a booking.

    .venv/bin/python benchmarks/audit_export.py [--rows 1000000]

Creates its own database next to the app's (see common.py), fills it with synthetic entries by
SQL, seals them, then measures in the same run:
  * baseline: COPY (SELECT the same rows and columns) TO STDOUT WITH CSV, read by psycopg;
  * `manage.py export_audit --format csv` (memory: the exporting process's peak RSS);
  * the admin's export view, streamed through Django's test client, for the same rows;
  * both at the full size and at a tenth of it, to show memory does not grow with rows;
  * one booking insert in its own transaction, with and without its audit entry.
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from common import Timing, fresh_database, ratio, setup_django, timed, timed_here, timed_in_child
from psycopg import sql

BASELINE_COLUMNS = """
    to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), id, organization_id, branch_id,
    member_id, actor_type, actor_id, actor_label, action, entity_type, entity_id, old_values, new_values, reason,
    source, request_id, ip_address, user_agent
"""


def fill(url: str, rows: int) -> tuple[str, str]:
    """Entries spread over the last year in one organization; returns (org id, the cut for a tenth)."""
    with psycopg.connect(url) as db:
        org = db.execute(
            "insert into organizations (id, name, slug) values (gen_random_uuid(), 'Bench club', 'bench') returning id"
        ).fetchone()[0]
        db.execute(
            """
            insert into audit_logs (id, occurred_at, organization_id, actor_type, actor_id, actor_label, action,
                                    entity_type, entity_id, old_values, new_values, reason, source, request_id,
                                    user_agent)
            select gen_random_uuid(), now() - make_interval(secs => g * 31.5), %s, 'staff', '7', 'Morgan Lead',
                   'booking.created', 'booking', gen_random_uuid()::text, null,
                   jsonb_build_object('status', 'confirmed', 'slot', g), '', 'admin', md5(g::text),
                   'Mozilla/5.0 (benchmark)'
            from generate_series(1, %s) g
            """,
            [org, rows],
        )
        cut = db.execute(
            "select occurred_at from audit_logs order by occurred_at desc offset %s limit 1", [rows // 10]
        ).fetchone()[0]
    return str(org), cut.isoformat()


def copy_baseline(url: str, since: str) -> tuple[Timing, int]:
    """COPY of the same rows and columns, read here; the timing and the bytes read."""
    statement = sql.SQL(
        "copy (select {columns} from audit_logs where occurred_at >= {since} order by occurred_at, id)"
        " to stdout with csv header"
    ).format(columns=sql.SQL(BASELINE_COLUMNS), since=sql.Literal(since))
    size = 0

    def read() -> None:
        nonlocal size
        with db.cursor() as cursor, cursor.copy(statement) as copy:
            for data in copy:
                size += len(data)

    with psycopg.connect(url) as db:
        return timed_here(db, read), size


def command_export(url: str, start: str) -> Timing:
    return timed_in_child(
        url,
        "from django.core.management import call_command",
        f"call_command('export_audit', '--from', {start!r}, '--to', '2100-01-01', '--output', '/dev/null')",
    )


def admin_export(url: str, start: str) -> Timing:
    setup = (
        "from django.test import Client\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.models import Group\n"
        "user, _ = get_user_model().objects.get_or_create(username='bench-manager', defaults={'is_staff': True})\n"
        "user.groups.add(Group.objects.get(name='Manager'))\n"
        "client = Client(SERVER_NAME='localhost'); client.force_login(user)\n"
        "client.get('/admin/')  # a warm server: URLs and views loaded before the timing starts"
    )
    work = (
        f"response = client.get('/admin/audit/auditlog/export/csv/', {{'occurred_from': {start[:10]!r}}})\n"
        "assert response.status_code == 200, response.status_code\n"
        "size = sum(len(chunk) for chunk in response.streaming_content)"
    )
    return timed_in_child(url, setup, work)


def booking_cost(url: str, bookings: int = 2000) -> tuple[float, float]:
    """Seconds per booking transaction without and with its audit entry."""
    with psycopg.connect(url) as db:
        org, branch, facility, member = db.execute(
            """
            with o as (select id from organizations limit 1),
            b as (insert into branches (id, organization_id, name, time_zone, address)
                  select gen_random_uuid(), id, 'Bench branch', 'Europe/London', '' from o
                  returning id, organization_id),
            f as (insert into facilities (id, organization_id, branch_id, name, kind, capacity)
                  select gen_random_uuid(), organization_id, id, 'Bench sauna', 'sauna', 1000 from b
                  returning id, organization_id, branch_id),
            m as (insert into members (id, organization_id, home_branch_id, member_number, first_name, last_name,
                                       email, phone)
                  select gen_random_uuid(), organization_id, branch_id, 'B1', 'Bench', 'Member', '', '' from f
                  returning id)
            select f.organization_id, f.branch_id, f.id, m.id from f, m
            """
        ).fetchone()
        db.commit()
        slots = db.execute(
            """
            insert into benefit_slots (id, organization_id, facility_id, starts_at, ends_at, capacity)
            select gen_random_uuid(), %s, %s, now() + make_interval(mins => g * 30),
                   now() + make_interval(mins => g * 30 + 30), 1000
            from generate_series(1, %s) g returning id
            """,
            [org, facility, 2 * bookings],
        ).fetchall()
        db.commit()
        # The rules and direct-insert audit triggers are off in this throwaway database (nothing a
        # session sets can switch them off), as they are for the booking engine's own rows: the
        # only difference between the two statements is the audit entry.
        db.execute(
            "alter table benefit_bookings disable trigger benefit_bookings_rules,"
            " disable trigger benefit_bookings_audit_direct"
        )
        db.commit()
        insert = (
            "insert into benefit_bookings (id, organization_id, member_id, slot_id, channel)"
            " values (gen_random_uuid(), %s, %s, %s, 'concierge') returning id"
        )
        with_entry = (
            f"with booking as ({insert}) select app_private.audit_record('booking.created', 'booking',"
            " booking.id::text, 'admin', 'staff', '7', 'Morgan Lead', %s, null,"
            " jsonb_build_object('status', 'confirmed'), '', %s, %s) from booking"
        )
        # Alternate short rounds of each kind and keep the medians: the machine's noise hits both.
        rounds, per_round = 10, bookings // 10
        timings: dict[bool, list[float]] = {False: [], True: []}
        remaining = iter(slots)
        for _ in range(rounds):
            for with_audit in (False, True):
                statement, extra = (with_entry, [org, member, branch]) if with_audit else (insert, [])
                started = time.perf_counter()
                for _ in range(per_round):
                    db.execute(statement, [org, member, next(remaining)[0], *extra])
                    db.commit()
                timings[with_audit].append((time.perf_counter() - started) / per_round)
        return statistics.median(timings[False]), statistics.median(timings[True])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    setup_django()
    print(f"Audit export benchmark, {rows:,} entries")
    with timed("create and migrate the benchmark database"):
        url = fresh_database("clubops_bench_audit")
    with timed(f"insert {rows:,} entries"):
        org, tenth_cut = fill(url, rows)
    with timed("seal them (manage.py seal_audit)"):
        from common import run_manage

        run_manage(url, "seal_audit", quiet=True)

    results = []
    for label, start in ((f"{rows:,} rows", "2000-01-01"), (f"{rows // 10:,} rows", tenth_cut)):
        baseline, size = copy_baseline(url, start)
        command, admin = command_export(url, start), admin_export(url, start)
        results.append((label, baseline.seconds, size, command.seconds, command.peak_mb, admin.seconds, admin.peak_mb))

    print()
    print(f"{'rows':>14} {'COPY baseline':>14} {'export_audit':>22} {'admin export':>22}")
    for label, baseline, size, command, command_mb, admin, admin_mb in results:
        print(
            f"{label:>14} {baseline:>12.2f} s {command:>8.2f} s {ratio(command, baseline):>6} {command_mb:>4} MB"
            f" {admin:>8.2f} s {ratio(admin, baseline):>6} {admin_mb:>4} MB   ({size / 1e6:.0f} MB of CSV)"
        )
    print("  goals: export_audit <= 1.5x, admin <= 2x the baseline; peak memory < 150 MB at both sizes")
    print("  (export times are measured inside the exporting process, after Django started; they include")
    print("   sealing what is pending, which is nothing here, and the export's own audit entry)")

    without, with_audit = booking_cost(url)
    print()
    print(
        f"one booking per transaction: {without * 1000:.2f} ms without its audit entry, "
        f"{with_audit * 1000:.2f} ms with it: {ratio(with_audit, without)} (goal <= 1.3x)"
    )


if __name__ == "__main__":
    main()
