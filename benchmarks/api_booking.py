"""Booking through the HTTP API: gunicorn with 4 workers, 16 concurrent clients.

    .venv/bin/python benchmarks/api_booking.py [--members 100000] [--rounds 4] [--seconds 5]

Needs wrk, an HTTP load generator written in C (Debian: `apt-get install wrk`). The clients share
this machine's cores with the server and the database, as pgbench's do in the baseline; a client
in C leaves them as much as it can.

Same database as benchmarks/booking.py (a year of slots for 20 facilities, N members), and in
the same run the same plain-SQL baseline (pgbench driving a PL/pgSQL booking function). gunicorn
serves the app as in production (`gunicorn config.wsgi --workers 4`); wrk keeps 16 connections
busy with POST /api/v1/bookings for random slots with random members' tokens. After a few seconds
to warm the workers up, baseline and API take turns for the same time, round after round. Prints
bookings per second, the ratio to the baseline, latency percentiles, the CPU time each request
cost the gunicorn workers, PostgreSQL and wrk, and the overbooked slots afterwards.

Each round also measures the two costs no booking endpoint can avoid, to show how far the API is
from the best any could do here: the booking engine's SQL alone (pgbench, 8 clients, calling
app_private.book as the API does, no HTTP or Python) and the framework alone (the same gunicorn,
middleware and a bare DRF view reading the same requests, benchmarks/framework_floor/, no
authentication or database). Both share the machine's cores, so a request that paid only for
these two would cost the sum of their times: the printed ceiling, 1 / (1/engine + 1/framework).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path

import jwt
import psycopg
import requests
from booking import fill, overbooked, run_pgbench, warm_up
from common import PROJECT_DIR, PYTHON, fresh_database, ratio, setup_django, timed

SECRET = "benchmark-jwt-secret-with-enough-length-for-hs256"
CLIENTS, WORKERS = 16, 4
BOOKING_BENCHMARK_CLIENTS = 8
WARM_UP_SECONDS = 5
WRK_SCRIPT = Path(__file__).with_suffix(".lua")
# The engine as the API calls it, for numbered slots and members; refusals (a member already
# booked at that hour, a full slot) are answered as the API would, without stopping pgbench.
ENGINE_SQL = """
create function bench_engine_book(p_slot integer, p_member integer) returns boolean language plpgsql as $$
begin
    perform app_private.book(
        p_kind => 'slot', p_item_id => (select id from bench_slot_numbers where n = p_slot),
        p_member_id => (select id from bench_member_numbers where n = p_member), p_channel => 'api',
        p_source => 'api', p_actor_type => 'member', p_actor_id => p_member::text, p_actor_label => 'bench');
    return true;
exception when sqlstate 'CB002' or sqlstate 'CB006' or sqlstate 'CB007' or sqlstate 'CB008' then
    return false;
end $$;
"""
ENGINE_STATEMENT = "select bench_engine_book(:s, :m);"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_request_data(url: str, directory: Path) -> tuple[Path, Path]:
    """Give every member a Supabase user and a signed token; files of tokens and of slot ids."""
    with psycopg.connect(url) as db:
        db.execute("update members set auth_user_id = gen_random_uuid()")
        members = db.execute("select auth_user_id, organization_id from members").fetchall()
        slots = [str(row[0]) for row in db.execute("select id from benefit_slots")]
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("vacuum analyze members")
    expires = int(time.time()) + 7200
    tokens = directory / "tokens.txt"
    tokens.write_text(
        "\n".join(
            jwt.encode(
                {
                    "sub": str(user),
                    "aud": "authenticated",
                    "role": "authenticated",
                    "exp": expires,
                    "app_metadata": {"organization_id": str(organization)},
                },
                SECRET,
            )
            for user, organization in members
        )
    )
    slot_ids = directory / "slots.txt"
    slot_ids.write_text("\n".join(slots))
    return tokens, slot_ids


def serve(url: str, port: int, settings: str = "config.settings") -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "PYTHONPATH": str(Path(__file__).parent),  # for framework_floor
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SUPABASE_JWT_SECRET": SECRET,
        "API_RATE_PER_MEMBER": "100000/min",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "config.wsgi", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=PROJECT_DIR, env=env,
    )  # fmt: skip
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/bookings", timeout=5)  # any answer: a worker is up
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def cpu_seconds(*markers: bytes) -> float:
    """CPU time used so far by the live processes whose command line holds one of `markers`."""
    ticks = 0
    for process in Path("/proc").glob("[0-9]*"):
        try:
            command = (process / "cmdline").read_bytes()
            if any(marker in command for marker in markers):
                fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def run_wrk(port: int, seconds: int, tokens: Path, slots: Path, seed: int) -> dict:
    output = subprocess.run(
        ["wrk", "--threads", "2", "--connections", str(CLIENTS), "--duration", f"{seconds}s", "--timeout", "10s",
         "--script", str(WRK_SCRIPT), f"http://127.0.0.1:{port}", "--", str(tokens), str(slots), str(seed)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    figures = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] in {"requests", "refused", "seconds", "p50_ms", "p95_ms", "p99_ms"}:
            figures[words[0]] = float(words[1])
    figures["booked"] = figures["requests"] - figures["refused"]  # every other answer is a 201
    return figures


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_rounds(url: str, ports: dict, options, slot_count: int, tokens: Path, slots: Path) -> dict:
    """Baseline, API, engine and framework in alternating slices, so that all meet the same
    machine: on a shared virtual machine, speed drifts by as much as half from one minute to the next."""
    totals = {"baseline": 0.0, "engine": 0.0, "framework": 0.0, "booked": 0, "refused": 0, "seconds": 0.0,
              "requests": 0, "rounds": []}  # fmt: skip
    cpu = {"server": 0.0, "database": 0.0, "clients": 0.0}
    pgbench = partial(run_pgbench, url, BOOKING_BENCHMARK_CLIENTS, options.seconds, slot_count, options.members)
    for number in range(options.rounds):
        tps = pgbench()
        totals["baseline"] += tps * options.seconds
        before = (cpu_seconds(b"gunicorn"), cpu_seconds(b"postgres:"), children_cpu())
        figures = run_wrk(ports["api"], options.seconds, tokens, slots, seed=number + 2)
        after = (cpu_seconds(b"gunicorn"), cpu_seconds(b"postgres:"), children_cpu())
        for key, spent in zip(cpu, (b - a for a, b in zip(before, after, strict=True)), strict=True):
            cpu[key] += spent
        booked = figures["booked"]
        for key in ("booked", "refused", "seconds", "requests"):
            totals[key] += figures[key]
        totals["rounds"].append(figures)
        engine = pgbench(ENGINE_STATEMENT)
        totals["engine"] += engine * options.seconds
        bare = run_wrk(ports["framework"], options.seconds, tokens, slots, seed=number + 2)
        if bare["refused"]:
            raise SystemExit("the bare DRF view refused requests: see the gunicorn log above")
        framework = bare["requests"] / bare["seconds"]
        totals["framework"] += framework * options.seconds
        print(f"  round {number + 1}: baseline {tps:,.0f}/s, API {booked / figures['seconds']:,.0f}/s"
              f" (p99 {figures['p99_ms']:.1f} ms); engine alone {engine:,.0f}/s, framework alone {framework:,.0f}/s",
              flush=True)  # fmt: skip
    totals["cpu_per_request_ms"] = {key: spent / totals["requests"] * 1000 for key, spent in cpu.items()}
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=5, help="of each slice: baseline, then API, per round")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("This benchmark needs wrk, the HTTP load generator: apt-get install wrk")
    setup_django()
    print(f"API booking benchmark: {options.members:,} members, gunicorn {WORKERS} workers, {CLIENTS} clients")
    with tempfile.TemporaryDirectory() as directory:
        with timed("create, migrate and fill the benchmark database"):
            url = fresh_database("clubops_bench_api")
            _, slot_count = fill(url, options.members)
            tokens, slots = write_request_data(url, Path(directory))
        warm_up(url, slot_count, options.members)
        with psycopg.connect(url) as db:
            db.execute(ENGINE_SQL)
        ports = {"api": free_port(), "framework": free_port()}
        servers = [serve(url, ports["api"]), serve(url, ports["framework"], settings="framework_floor.settings")]
        try:
            for port in ports.values():
                run_wrk(port, WARM_UP_SECONDS, tokens, slots, seed=1)
            totals = measure_rounds(url, ports, options, slot_count, tokens, slots)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    ours, theirs = overbooked(url)
    slices = options.rounds * options.seconds
    baseline, engine, framework = (totals[key] / slices for key in ("baseline", "engine", "framework"))
    ceiling = 1 / (1 / engine + 1 / framework)
    rate = totals["booked"] / totals["seconds"]
    rounds = totals["rounds"]
    cpu = totals["cpu_per_request_ms"]
    print()
    print(
        f"baseline (the booking benchmark's: pgbench, {BOOKING_BENCHMARK_CLIENTS} clients, plain PL/pgSQL):"
        f" {baseline:,.0f} bookings/s"
    )
    print(f"API (POST /api/v1/bookings): {rate:,.0f} bookings/s = {ratio(rate, baseline)} of the baseline"
          " (goal >= 0.15x)")  # fmt: skip
    print(f"responses: {totals['booked']:,.0f} booked (201), {totals['refused']:,.0f} refused (4xx/5xx)")
    print(f"the engine's SQL alone (pgbench, {BOOKING_BENCHMARK_CLIENTS} clients): {engine:,.0f}/s"
          f" = {ratio(engine, baseline)}; the framework alone (bare DRF view, {CLIENTS} clients):"
          f" {framework:,.0f}/s = {ratio(framework, baseline)}")  # fmt: skip
    print(f"ceiling for any DRF endpoint calling the engine, with no code of its own: {ceiling:,.0f}/s"
          f" = {ratio(ceiling, baseline)}; the API reaches {rate / ceiling:.0%} of it")  # fmt: skip
    print(f"latency (the worst round's): median {max(r['p50_ms'] for r in rounds):.1f} ms,"
          f" p95 {max(r['p95_ms'] for r in rounds):.1f} ms, p99 {max(r['p99_ms'] for r in rounds):.1f} ms"
          " (goal p99 < 100 ms)")  # fmt: skip
    print(
        f"CPU per request: gunicorn workers {cpu['server']:.2f} ms, PostgreSQL {cpu['database']:.2f} ms,"
        f" wrk {cpu['clients']:.2f} ms"
    )
    print(f"overbooked slots afterwards: {ours} (API), {theirs} (baseline)  (goal 0)")


if __name__ == "__main__":
    main()
