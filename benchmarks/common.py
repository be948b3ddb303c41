"""Shared set-up for benchmarks: a database of their own on the same server as the app's.

Benchmarks never touch the app's database (the audit trail there is append-only): each creates
`clubops_bench_<name>` next to it, migrates it and syncs its grants, and drops it when asked to.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

PROJECT_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def setup_django() -> None:
    warnings.filterwarnings("ignore", module="platformdirs")  # XDG_RUNTIME_DIR unset: harmless
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()


def server_url() -> str:
    """The app's database URL (DATABASE_URL, or the embedded server, started for us)."""
    setup_django()
    from django.db import connection

    params = connection.get_connection_params()
    host = params.get("host") or "localhost"
    user = params.get("user") or "postgres"
    password = connection.settings_dict.get("PASSWORD") or ""
    port = connection.settings_dict.get("PORT") or ""
    if host.startswith("/"):
        return f"postgresql://{user}:{password}@/{params['dbname']}?host={host}" + (f"&port={port}" if port else "")
    return f"postgresql://{user}:{password}@{host}{':' + str(port) if port else ''}/{params['dbname']}"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def fresh_database(name: str) -> str:
    """Create (or re-create) a benchmark database, migrated and synced like production."""
    base = server_url()
    with psycopg.connect(with_database(base, "postgres"), autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.execute(f'create database "{name}"')
    url = with_database(base, name)
    for command in (["migrate", "-v0"], ["sync_grants"]):
        run_manage(url, *command, quiet=True)
    return url


def run_manage(url: str, *args: str, quiet: bool = False) -> float:
    """Run manage.py against `url`; return the seconds it took."""
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    return time.perf_counter() - started


def run_python(url: str, code: str) -> tuple[float, int, str]:
    """Run a Python snippet with Django set up against `url`; (seconds, its peak MB, its stdout)."""
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings"}
    wrapper = (
        "import django, resource, sys; django.setup()\n"
        f"{code}\n"
        "print('PEAK_MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [PYTHON, "-c", wrapper], cwd=PROJECT_DIR, env=env, check=True, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    peak = int(result.stdout.rsplit("PEAK_MB", 1)[1].strip())
    return elapsed, peak, result.stdout


@contextmanager
def timed(label: str):
    started = time.perf_counter()
    yield
    print(f"  {label}: {time.perf_counter() - started:.2f} s", flush=True)


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline else "n/a"


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """The user and system CPU a process of this machine has used so far (Linux's /proc): a
    connection's PostgreSQL backend, found by its pid."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass(frozen=True)
class Timing:
    """Seconds on the clock, and the CPU seconds the work cost: the measuring process's and its
    database backend's. On a shared machine the clock counts the others' work too, the CPU less so."""

    seconds: float
    cpu_seconds: float
    peak_mb: int = 0


def timed_here(db: psycopg.Connection, work: Callable[[], object]) -> Timing:
    """`work`, run in this process on `db`."""
    backend = db.info.backend_pid
    cpu = time.process_time() + process_cpu_seconds(backend)
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    return Timing(seconds, time.process_time() + process_cpu_seconds(backend) - cpu)


def timed_in_child(url: str, setup: str, work: str) -> Timing:
    """`work` inside a fresh process (after Django started and `setup` ran), with that process's
    peak memory; its CPU counts the backend of Django's connection at the end (the work's own)."""
    code = (
        f"import time\nfrom benchmarks.common import process_cpu_seconds\n{setup}\n"
        "from django.db import connection\n"
        "connection.ensure_connection()\n"
        "backend = connection.connection.info.backend_pid\n"
        "cpu = time.process_time() + process_cpu_seconds(backend)\n"
        f"started = time.perf_counter()\n{work}\n"
        "elapsed = time.perf_counter() - started\n"
        "cpu = time.process_time() + process_cpu_seconds(backend) - cpu\n"
        "print('ELAPSED', elapsed, cpu)"
    )
    _, peak, output = run_python(url, code)
    elapsed, cpu = output.split("ELAPSED", 1)[1].split()[:2]
    return Timing(float(elapsed), float(cpu), peak)


def table_copy_sql(table: str, copy: str) -> str:
    """SQL making `copy` with `table`'s columns, defaults, indexes and checks, then each of its
    foreign keys as the catalog states it: a key added to or dropped from the table is measured."""
    return f"""
        create table {copy} (like {table} including all);
        do $$
        declare
            foreign_key record;
        begin
            for foreign_key in
                select pg_get_constraintdef(oid) as definition from pg_constraint
                where conrelid = 'public.{table}'::regclass and contype = 'f'
            loop
                execute 'alter table {copy} add ' || foreign_key.definition;
            end loop;
        end
        $$;
    """
