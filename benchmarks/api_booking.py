"""Booking through the HTTP API: gunicorn with 4 workers, 16 concurrent clients.

    .venv/bin/python benchmarks/api_booking.py [--members 100000] [--seconds 20]

Same database as benchmarks/booking.py (a year of slots for 20 facilities, N members), and in
the same run the same plain-SQL baseline (pgbench driving a PL/pgSQL booking function). Then
gunicorn serves the app with 4 workers and 16 client threads POST /api/v1/bookings for random
slots with random members' tokens. Prints bookings per second, the ratio to the baseline, the
latency percentiles, and the overbooked slots afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import threading
import time

import jwt
import psycopg
import requests
from booking import fill, overbooked, run_pgbench, warm_up
from common import PROJECT_DIR, PYTHON, fresh_database, ratio, setup_django, timed

SECRET = "benchmark-jwt-secret-with-enough-length-for-hs256"
CLIENTS, WORKERS = 16, 4
BOOKING_BENCHMARK_CLIENTS = 8


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tokens(url: str) -> tuple[list[str], list[str]]:
    with psycopg.connect(url) as db:
        db.execute("update members set auth_user_id = gen_random_uuid()")
        members = db.execute("select auth_user_id, organization_id from members").fetchall()
        slots = [str(row[0]) for row in db.execute("select id from benefit_slots")]
    now = int(time.time())
    signed = [
        jwt.encode(
            {
                "sub": str(user),
                "aud": "authenticated",
                "role": "authenticated",
                "exp": now + 7200,
                "app_metadata": {"organization_id": str(organization)},
            },
            SECRET,
        )  # fmt: skip
        for user, organization in members
    ]
    return signed, slots


def serve(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
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
        [PYTHON, "-m", "gunicorn", "config.wsgi", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=PROJECT_DIR, env=env,
    )  # fmt: skip
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/schema/", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def clients(port: int, seconds: int, signed: list[str], slots: list[str]) -> tuple[int, list[float], dict]:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(seed: int) -> None:
        # http.client rather than requests: the clients share this machine's two cores with the
        # server, so the lighter they are, the more of the measurement is the server's.
        chooser = random.Random(seed)
        mine, counts = [], {}
        while time.perf_counter() < deadline:
            body = json.dumps({"kind": "slot", "item": chooser.choice(slots)})
            headers = {"Authorization": f"Bearer {chooser.choice(signed)}", "Content-Type": "application/json"}
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/api/v1/bookings", body, headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            mine.append(time.perf_counter() - started)
            counts[response.status] = counts.get(response.status, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, count in counts.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses.get(201, 0), latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    options = parser.parse_args()
    setup_django()
    print(f"API booking benchmark: {options.members:,} members, gunicorn {WORKERS} workers, {CLIENTS} clients")
    with timed("create, migrate and fill the benchmark database"):
        url = fresh_database("clubops_bench_api")
        _, slot_count = fill(url, options.members)
        signed, slots = tokens(url)
    # The booking benchmark's baseline is pgbench with 8 clients; with 16 it is shown for reference.
    warm_up(url, slot_count, options.members)
    baseline = run_pgbench(url, BOOKING_BENCHMARK_CLIENTS, options.seconds, slot_count, options.members)
    baseline_16 = run_pgbench(url, CLIENTS, options.seconds, slot_count, options.members)
    port = free_port()
    server = serve(url, port)
    try:
        booked, latencies, statuses = clients(port, options.seconds, signed, slots)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ours, theirs = overbooked(url)
    latencies.sort()
    rate = booked / options.seconds
    print()
    print(
        f"baseline (the booking benchmark's: pgbench, {BOOKING_BENCHMARK_CLIENTS} clients, plain PL/pgSQL):"
        f" {baseline:,.0f} bookings/s; with {CLIENTS} clients: {baseline_16:,.0f}/s"
    )
    print(f"API (POST /api/v1/bookings): {rate:,.0f} bookings/s = {ratio(rate, baseline)} of the baseline"
          f" (goal >= 0.15x); {ratio(rate, baseline_16)} of the 16-client one")  # fmt: skip
    print(f"responses: {dict(sorted(statuses.items()))}")
    p95, p99 = (latencies[int(len(latencies) * share)] * 1000 for share in (0.95, 0.99))
    print(f"latency: median {statistics.median(latencies) * 1000:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms"
          " (goal p99 < 100 ms)")  # fmt: skip
    print(f"overbooked slots afterwards: {ours} (API), {theirs} (baseline)  (goal 0)")


if __name__ == "__main__":
    main()
