"""Booking through the HTTP API: gunicorn with 4 workers, 16 concurrent clients, then a fixed rate.

    .venv/bin/python benchmarks/api_booking.py [--members 100000] [--rounds 4] [--seconds 5]
                                               [--rate 200] [--rate-seconds 60] [--threads 1]

Needs wrk, an HTTP load generator written in C (Debian: `apt-get install wrk`). The clients share
this machine's cores with the server and the database, as pgbench's do in the baseline; a client
in C leaves them as much as it can.

Same database as benchmarks/booking.py (a year of slots for 20 facilities, N members), and in
the same run the same plain-SQL baseline (pgbench driving a PL/pgSQL booking function). gunicorn
serves the app as in production (`gunicorn config.wsgi --workers 4`); wrk keeps 16 connections
busy with POST /api/v1/bookings for random slots with random members' tokens. After a few seconds
to warm the workers up, baseline and API take turns for the same time, round after round, each
slice after a CHECKPOINT and autovacuum's end, so that none pays for the writes of the one before. Prints
bookings per second, the ratio to the baseline, latency percentiles, the CPU time each request
cost the gunicorn workers, PostgreSQL and wrk, and the overbooked slots afterwards.

Each round also measures the two costs no booking endpoint can avoid, to show how far the API is
from the best any could do here: the booking engine's SQL alone (pgbench, 8 clients, calling
app_private.book as the API does, no HTTP or Python) and the framework alone (the same gunicorn,
middleware and a bare DRF view reading the same requests, benchmarks/framework_floor/, no
authentication or database). Both share the machine's cores, so a request that paid only for
these two would cost the sum of their times: the printed ceiling, 1 / (1/engine + 1/framework).

Then, as a club's members would, an open loop offers bookings at a fixed rate (200 a second for 60
seconds by default): each is sent when its time comes, whether or not the earlier ones have been
answered, on a connection of its own (gunicorn's workers close each after answering), and its
latency counts from that time, so a server falling behind shows as the wait it causes (wrk's
closed loop would wait with it). The generator is this script's own (asyncio, loopback only): at
most RATE x SECONDS requests, each given up after 10 s. Prints the median, p95 and p99 latency and
the errors: answers of 500 or more, connections refused or reset, requests given up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
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
SETTLE_SECONDS = 30  # at most, waiting for autovacuum between slices
FIXED_RATE_TIMEOUT_SECONDS = 10
FIXED_RATE_MAX_IN_FLIGHT = 1000  # beyond this the server is far behind: further requests count as errors
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


def serve(url: str, threads: int, settings: str = "config.settings") -> subprocess.Popen:
    """gunicorn serving the app (or with `settings`) on a free port of its own, in `.port`."""
    port = free_port()
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
        [PYTHON, "-m", "gunicorn", "config.wsgi", "--workers", str(WORKERS), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=PROJECT_DIR, env=env,
    )  # fmt: skip
    server.port = port
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/bookings", timeout=5)  # any answer: a worker is up
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def cpu_seconds(parents: set[int]) -> float:
    """CPU time used so far by the processes `parents` and their children, the live ones and those
    that have ended (gunicorn's workers, PostgreSQL's backends): this run's, not those of whatever
    else shares the machine."""
    ticks = 0
    for process in Path("/proc").glob("[0-9]*"):
        try:
            fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
            if int(process.name) in parents:  # utime, stime, and the ended children's cutime, cstime
                ticks += sum(int(value) for value in fields[11:15])
            elif int(fields[1]) in parents:  # fields[1]: the parent
                ticks += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine."""
    with psycopg.connect(url) as db:
        backend = db.execute("select pg_backend_pid()").fetchone()[0]
        try:
            return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except FileNotFoundError:  # a server elsewhere
            return None


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


def booking_requests(port: int, tokens: Path, slots: Path, count: int, seed: int) -> list[bytes]:
    """`count` HTTP requests, each booking a random slot for a random member, as the wrk script's."""
    chooser = random.Random(seed)
    token_list, slot_list = tokens.read_text().split("\n"), slots.read_text().split("\n")
    requests_ = []
    for _ in range(count):
        body = f'{{"kind": "slot", "item": "{chooser.choice(slot_list)}"}}'.encode()
        head = (
            f"POST /api/v1/bookings HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {chooser.choice(token_list)}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        requests_.append(head.encode() + body)
    return requests_


async def _send(port: int, request: bytes) -> int:
    """The status of the answer to `request`, read to its end."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        status_line = await reader.readline()
        await reader.read()  # the rest of the answer, up to the close
    finally:
        writer.close()
    return int(status_line.split()[1])


async def _open_loop(port: int, rate: float, requests_: list[bytes]) -> dict:
    loop = asyncio.get_running_loop()
    latencies, statuses, errors = [], Counter(), Counter()
    in_flight = set()

    async def book(request: bytes, due: float) -> None:
        try:
            status = await asyncio.wait_for(_send(port, request), FIXED_RATE_TIMEOUT_SECONDS)
        except TimeoutError:
            errors[f"no answer within {FIXED_RATE_TIMEOUT_SECONDS} s"] += 1
        except (OSError, ValueError, IndexError) as error:  # refused, reset, or not an HTTP answer
            errors[type(error).__name__] += 1
        else:
            latencies.append((loop.time() - due) * 1000)
            statuses[status] += 1

    start = loop.time() + 0.1
    for number, request in enumerate(requests_):
        due = start + number / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        if len(in_flight) >= FIXED_RATE_MAX_IN_FLIGHT:
            errors["not sent: too many waiting"] += 1
            continue
        task = asyncio.create_task(book(request, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)
    return {"latencies": sorted(latencies), "statuses": statuses, "errors": errors,
            "seconds": loop.time() - start}  # fmt: skip


def run_fixed_rate(port: int, rate: float, seconds: int, tokens: Path, slots: Path) -> dict:
    """Offer `rate` bookings a second for `seconds`, in an open loop; latency percentiles and errors."""
    requests_ = booking_requests(port, tokens, slots, int(rate * seconds), seed=99)
    outcome = asyncio.run(_open_loop(port, rate, requests_))
    latencies, statuses = outcome["latencies"], outcome["statuses"]
    for share in (50, 95, 99):
        outcome[f"p{share}_ms"] = latencies[min(len(latencies) - 1, len(latencies) * share // 100)] if latencies else 0
    outcome["max_ms"] = latencies[-1] if latencies else 0
    outcome["booked"] = statuses[201]
    outcome["refused"] = sum(count for status, count in statuses.items() if 400 <= status < 500)
    for status, count in statuses.items():
        if status != 201 and not 400 <= status < 500:
            outcome["errors"][f"HTTP {status}"] += count
    return outcome


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def settle(url: str) -> None:
    """The writes of the slice before flushed (CHECKPOINT) and autovacuum done with them, so that a
    slice does not pay, in its time and its PostgreSQL CPU, for the one before it."""
    with psycopg.connect(url, autocommit=True) as db:
        try:
            db.execute("checkpoint")
        except psycopg.errors.InsufficientPrivilege:  # a server of someone else's: its own checkpoints
            pass
        deadline = time.monotonic() + SETTLE_SECONDS
        vacuuming = "select exists (select from pg_stat_activity where backend_type = 'autovacuum worker')"
        while time.monotonic() < deadline and db.execute(vacuuming).fetchone()[0]:
            time.sleep(0.2)


def measure_rounds(url: str, servers: dict, options, slot_count: int, tokens: Path, slots: Path) -> dict:
    """Baseline, API, engine and framework in alternating slices, so that all meet the same
    machine: on a shared virtual machine, speed drifts by as much as half from one minute to the next."""
    totals = {"baseline": 0.0, "engine": 0.0, "framework": 0.0, "booked": 0, "refused": 0, "seconds": 0.0,
              "requests": 0, "rounds": []}  # fmt: skip
    cpu = {door: {"server": 0.0, "database": 0.0, "clients": 0.0, "requests": 0} for door in servers}
    database = {postmaster_pid(url)}
    engine_cpu = 0.0
    pgbench = partial(run_pgbench, url, BOOKING_BENCHMARK_CLIENTS, options.seconds, slot_count, options.members)

    def run(door: str, seed: int) -> dict:
        settle(url)
        gunicorn = {servers[door].pid}
        before = (cpu_seconds(gunicorn), cpu_seconds(database), children_cpu())
        figures = run_wrk(servers[door].port, options.seconds, tokens, slots, seed)
        after = (cpu_seconds(gunicorn), cpu_seconds(database), children_cpu())
        for key, earlier, later in zip(("server", "database", "clients"), before, after, strict=True):
            cpu[door][key] += later - earlier
        cpu[door]["requests"] += figures["requests"]
        return figures

    for number in range(options.rounds):
        settle(url)
        tps = pgbench()
        totals["baseline"] += tps * options.seconds
        figures = run("api", seed=number + 2)
        booked = figures["booked"]
        for key in ("booked", "refused", "seconds", "requests"):
            totals[key] += figures[key]
        totals["rounds"].append(figures)
        settle(url)
        before = cpu_seconds(database)
        engine = pgbench(ENGINE_STATEMENT)
        engine_cpu += cpu_seconds(database) - before
        totals["engine"] += engine * options.seconds
        bare = run("framework", seed=number + 2)
        if bare["refused"]:
            raise SystemExit("the bare DRF view refused requests: see the gunicorn log above")
        framework = bare["requests"] / bare["seconds"]
        totals["framework"] += framework * options.seconds
        print(f"  round {number + 1}: baseline {tps:,.0f}/s, API {booked / figures['seconds']:,.0f}/s"
              f" (p99 {figures['p99_ms']:.1f} ms); engine alone {engine:,.0f}/s, framework alone {framework:,.0f}/s",
              flush=True)  # fmt: skip
    totals["cpu_per_request_ms"] = {
        door: {key: spent / spent_on["requests"] * 1000 for key, spent in spent_on.items() if key != "requests"}
        for door, spent_on in cpu.items()
    }
    totals["cpu_per_request_ms"]["engine"] = {"database": engine_cpu / totals["engine"] * 1000}
    return totals


def print_rounds(totals: dict, options) -> None:
    slices = options.rounds * options.seconds
    baseline, engine, framework = (totals[key] / slices for key in ("baseline", "engine", "framework"))
    ceiling = 1 / (1 / engine + 1 / framework)
    rate = totals["booked"] / totals["seconds"]
    rounds = totals["rounds"]
    cpu = totals["cpu_per_request_ms"]
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
          f" = {ratio(ceiling, baseline)}; the API reaches {rate / ceiling:.0%} of it (goal >= 70%)")  # fmt: skip
    print(f"latency (the worst round's): median {max(r['p50_ms'] for r in rounds):.1f} ms,"
          f" p95 {max(r['p95_ms'] for r in rounds):.1f} ms, p99 {max(r['p99_ms'] for r in rounds):.1f} ms"
          " (goal p99 < 100 ms)")  # fmt: skip
    for door, name in (("api", "the API"), ("framework", "the bare DRF view")):
        print(f"CPU per request of {name}: gunicorn workers {cpu[door]['server']:.2f} ms,"
              f" PostgreSQL {cpu[door]['database']:.2f} ms, wrk {cpu[door]['clients']:.2f} ms")  # fmt: skip
    print(f"CPU per booking of the engine's SQL alone: PostgreSQL {cpu['engine']['database']:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=4, help="0: the fixed rate alone")
    parser.add_argument("--seconds", type=int, default=5, help="of each slice: baseline, then API, per round")
    parser.add_argument("--rate", type=float, default=200, help="bookings a second offered at a fixed rate (0: none)")
    parser.add_argument("--rate-seconds", type=int, default=60, help="how long the fixed rate is offered")
    parser.add_argument("--threads", type=int, default=1, help="of each gunicorn worker (1: the sync worker)")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("This benchmark needs wrk, the HTTP load generator: apt-get install wrk")
    setup_django()
    print(f"API booking benchmark: {options.members:,} members, gunicorn {WORKERS} workers x {options.threads}"
          f" threads, {CLIENTS} clients")  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        with timed("create, migrate and fill the benchmark database"):
            url = fresh_database("clubops_bench_api")
            _, slot_count = fill(url, options.members)
            tokens, slots = write_request_data(url, Path(directory))
        warm_up(url, slot_count, options.members)
        loads = [os.getloadavg()[0]]
        with psycopg.connect(url) as db:
            db.execute(ENGINE_SQL)
        servers = {
            "api": serve(url, options.threads),
            "framework": serve(url, options.threads, settings="framework_floor.settings"),
        }
        try:
            for server in servers.values():
                run_wrk(server.port, WARM_UP_SECONDS, tokens, slots, seed=1)
            totals = options.rounds and measure_rounds(url, servers, options, slot_count, tokens, slots)
            fixed = options.rate and run_fixed_rate(
                servers["api"].port, options.rate, options.rate_seconds, tokens, slots
            )
            loads.append(os.getloadavg()[0])
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(timeout=30)
    ours, theirs = overbooked(url)
    print()
    if options.rounds:
        print_rounds(totals, options)
    if fixed:
        errors = ", ".join(f"{count} {what}" for what, count in fixed["errors"].items()) or "none"
        print(f"at a fixed {options.rate:,.0f} bookings/s for {options.rate_seconds} s (open loop): median"
              f" {fixed['p50_ms']:.1f} ms, p95 {fixed['p95_ms']:.1f} ms, p99 {fixed['p99_ms']:.1f} ms, max"
              f" {fixed['max_ms']:.1f} ms (goal p99 < 50 ms); {fixed['booked']:,} booked, {fixed['refused']:,}"
              f" refused (4xx); errors: {errors} (goal none)")  # fmt: skip
    print(f"overbooked slots afterwards: {ours} (API), {theirs} (baseline)  (goal 0)")
    print(f"machine load (1-minute average; 2 cores shared): {loads[0]:.1f} before, {loads[1]:.1f} after")


if __name__ == "__main__":
    main()
