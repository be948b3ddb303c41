"""PgBouncer in transaction mode in front of the test database, as production runs behind
Supabase's Supavisor (port 6543) or a PgBouncer of its own.

`python -m config.tests.pooler [pytest arguments]` (`make test-pooler`) starts one in front of the
test server (the embedded one, or DATABASE_URL's) and runs the pooler suite (`SUITE`, or the
arguments given) through it, with the settings a pooled deployment uses
(DATABASE_TRANSACTION_POOLER=true, see config/database.py). Without pgbouncer it says so and
exits 0. Tests that need a pooler of their own (a pool of one, no reset between transactions)
start one with `PgBouncer`.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Debian installs it in /usr/sbin, which is not on every user's PATH.
PGBOUNCER = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/usr/local/sbin")
POOLED_ENVIRONMENT = {"DATABASE_TRANSACTION_POOLER": "true"}
# The server behind the suite's pooler (JSON), for tests that put a pooler of their own in front of it.
SERVER_VARIABLE = "POOLER_SUITE_SERVER"
# What a deployment serves through the pooler: every door to the booking engine under load, the
# API, slot generation, the audit commands, sync_grants and db_doctor, and several app servers
# at once. Each is run as the main suite runs it.
SUITE = [
    "bookings/tests/test_concurrency.py",
    "bookings/tests/test_engine_doors.py",
    "bookings/tests/test_api.py",
    "members/tests/test_authentication.py",
    "config/tests/test_api_errors.py",
    "config/tests/test_api_times.py",
    "facilities/tests/test_slot_generation.py",
    "audit/tests/test_chain.py",
    "audit/tests/test_export.py",
    "access/tests/test_sync_grants.py",
    "access/tests/test_db_doctor.py",
    "config/tests/test_pooler.py",
]
# Tests of the suite's files that are about a direct connection to the server, not the app.
NOT_POOLED = {
    # it terminates the backend psycopg names; behind a pooler that is the pooler's own number,
    # not a server process
    "config/tests/test_api_errors.py::test_a_backend_terminated_mid_request_is_a_503",
    # it terminates the server process of an export in mid-COPY: the pooler, not the server, then
    # tells the client, and under load its message sometimes reaches psycopg as a broken COPY
    # rather than a lost connection (the export is still recorded as not read to the end)
    "audit/tests/test_export.py::test_an_export_whose_connection_is_killed_is_recorded_on_a_fresh_connection",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_host(database: dict) -> str:
    """A Django database entry's host; a socket directory may come as the URL's ?host= (the
    embedded server's does)."""
    return database["HOST"] or database.get("OPTIONS", {}).get("host") or "localhost"


def _stop_with_parent() -> None:
    """In the child: SIGTERM when the process that started it dies, even by SIGKILL."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


class PgBouncer:
    """A PgBouncer of its own in front of the server of a Django database settings entry.

    Every database name is passed through to the server (`*` in [databases]), logging in as
    that entry's user, so the test databases need no configuration. `reset` runs DISCARD ALL
    when a server connection goes back to the pool: the suite's pooler does, because the tests'
    own raw connections change session state the app never touches (`set role`,
    `session_replication_role`); the app's own paths are checked without it in test_pooler.
    """

    def __init__(self, upstream: dict, *, pool_size: int = 20, reset: bool = False):
        self.upstream = upstream
        self.pool_size = pool_size
        self.reset = reset
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.directory: Path | None = None

    def url(self, database: str) -> str:
        user = quote(self.upstream["USER"] or "")
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def connection_parameters(self, database: str) -> dict:
        return {"host": "127.0.0.1", "port": self.port, "user": self.upstream["USER"], "dbname": database}

    def _config(self) -> str:
        upstream = self.upstream
        server = " ".join(
            f"{key}={value}"
            for key, value in [
                ("host", server_host(self.upstream)),
                ("port", upstream["PORT"] or 5432),
                ("user", upstream["USER"]),
                ("password", upstream["PASSWORD"]),
            ]
            if value
        )
        return f"""\
[databases]
* = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
; the server's own login is the [databases] line's; clients are not asked for a password
auth_type = any
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 1000
server_reset_query = DISCARD ALL
server_reset_query_always = {int(self.reset)}
logfile = {self.directory}/pgbouncer.log
"""

    def _run_as(self) -> str | None:
        """PgBouncer refuses to run as root: as whoever owns the server's socket directory
        (the embedded server's own user), or nobody for a server over TCP."""
        if os.geteuid() != 0:
            return None
        host = server_host(self.upstream)
        if host.startswith("/"):
            return pwd.getpwuid(os.stat(host).st_uid).pw_name
        return "nobody"

    def __enter__(self) -> PgBouncer:
        self.directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        config = self.directory / "pgbouncer.ini"
        config.write_text(self._config())
        user = self._run_as()
        if user:
            shutil.chown(self.directory, user)
            config.chmod(0o644)
        self.process = subprocess.Popen(
            [PGBOUNCER, "--quiet", str(config)],
            user=user,
            group=pwd.getpwnam(user).pw_gid if user else None,
            extra_groups=[] if user else None,
            preexec_fn=_stop_with_parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log()
                self.__exit__()
                raise RuntimeError(f"pgbouncer did not start: {log}")
            time.sleep(0.05)

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text() if path.exists() else ""

    def __exit__(self, *exc_info) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def _drop_databases(upstream: dict, prefix: str) -> None:
    """The pooled run's test databases, kept by pytest-django (see `main`), dropped directly."""
    import psycopg
    from psycopg import sql

    parameters = {"host": server_host(upstream), "port": upstream["PORT"], "user": upstream["USER"],
                  "password": upstream["PASSWORD"], "dbname": "postgres"}  # fmt: skip
    with psycopg.connect(**{key: value for key, value in parameters.items() if value}, autocommit=True) as server:
        names = server.execute(
            "select datname from pg_database where datname = %s or datname like %s",
            [prefix, prefix.replace("_", r"\_") + r"\_gw%"],
        ).fetchall()
        for (name,) in names:
            server.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


def _names_tests(argument: str) -> bool:
    return (PROJECT_DIR / argument.split("::")[0]).exists() and not argument.startswith("-")


def main(arguments: list[str]) -> int:
    if PGBOUNCER is None:
        print("note: pgbouncer is not installed; the pooler suite is skipped (make test-pooler installs it as root)")
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    from django.conf import settings

    # The embedded server (or DATABASE_URL's), held by this process until the run ends.
    upstream = settings.DATABASES["default"]
    pooled_name = f"{upstream['NAME']}_pooled"  # test_<name>_pooled: apart from the main suite's
    with PgBouncer(upstream, reset=True) as pooler:
        server = {"HOST": server_host(upstream), **{key: upstream[key] for key in ("PORT", "USER", "PASSWORD")}}
        environment = {
            **os.environ,
            **POOLED_ENVIRONMENT,
            "DATABASE_URL": pooler.url(pooled_name),
            SERVER_VARIABLE: json.dumps(server),
        }
        command = [
            sys.executable, "-m", "pytest",
            # pytest-django drops its test databases at the end while the pooler still holds
            # server connections to them, which PostgreSQL refuses: they are dropped below.
            "--reuse-db", "--create-db",
            *[f"--deselect={test}" for test in NOT_POOLED],
            *arguments,
            *([] if any(_names_tests(argument) for argument in arguments) else SUITE),
        ]  # fmt: skip
        result = subprocess.run(command, cwd=PROJECT_DIR, env=environment)
    _drop_databases(upstream, f"test_{pooled_name}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
