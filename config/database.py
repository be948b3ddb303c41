"""Where the app's PostgreSQL comes from.

`DATABASE_URL` set: that server (a Supabase project, direct or through its pooler, or any PostgreSQL).
`DATABASE_URL` unset: an embedded PostgreSQL (pgserver) whose data lives in `.pgdata/` of the
project. `manage.py`, `make run` and the tests all come through `database_settings()`, so they
share one code path.

Configuration mistakes stop the process with one line naming the variable and the fix.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import environ

from config.errors import ConfigurationError

EMBEDDED_DATABASE_NAME = "clubops"
SUPABASE_TRANSACTION_POOLER_PORT = 6543
PREPARE_AFTER_RUNS = 5
TCP_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def database_settings(database_url: str, *, embedded_data_dir: Path) -> dict:
    """The `DATABASES["default"]` entry for `database_url`, or for the embedded server if empty."""
    if database_url.strip():
        config = parse_database_url(database_url)
    else:
        config = parse_database_url(start_embedded_server(embedded_data_dir))
    config["CONN_HEALTH_CHECKS"] = True
    return config


def parse_database_url(database_url: str) -> dict:
    fix = (
        "set DATABASE_URL to postgresql://USER:PASSWORD@HOST:5432/DBNAME (add ?sslmode=require "
        "for Supabase; percent-encode special characters in the password), or unset it to use "
        "the embedded database"
    )
    scheme = urlsplit(database_url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        shown = f"scheme '{scheme}://'" if scheme else "no scheme"
        raise ConfigurationError(f"DATABASE_URL has {shown}, not a PostgreSQL URL: {fix}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            config = environ.Env.db_url_config(database_url)
        except (ValueError, KeyError) as exc:
            raise ConfigurationError(f"DATABASE_URL could not be parsed ({exc}): {fix}") from None
    if not config.get("NAME"):
        raise ConfigurationError(f"DATABASE_URL names no database: {fix}")
    config["ENGINE"] = "config.db_backend"  # Django's, with a cheaper health check (see there)
    # A connection whose network path died without a word is found by the kernel within a
    # minute (the health check in config/db_backend relies on it); a URL's own values win.
    options = config.setdefault("OPTIONS", {})
    for name, value in TCP_KEEPALIVES.items():
        options.setdefault(name, value)
    if _is_transaction_pooler(config):
        # Supavisor in transaction mode hands each transaction to any server connection, so
        # neither server-side cursors nor prepared statements (which outlive a transaction) can
        # be used; Django leaves prepared statements off unless asked.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        # Statements run through config.sql.prepared_cursor (the hot paths: a member's token,
        # the booking engine) are prepared after a few runs on a connection, as psycopg does by default.
        options["prepare_threshold"] = PREPARE_AFTER_RUNS
    return config


def _is_transaction_pooler(config: dict) -> bool:
    forced = os.environ.get("DATABASE_TRANSACTION_POOLER", "").strip().lower()
    if forced:
        return forced in {"1", "true", "yes", "on"}
    return str(config.get("PORT")) == str(SUPABASE_TRANSACTION_POOLER_PORT)


def start_embedded_server(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL in `data_dir` and return a URL for its database.

    Every process that calls this holds a handle; the server stops when the last one exits,
    so Ctrl-C on `make run` or the end of a test run leaves no server behind, and the data
    stays in `data_dir` for the next start.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); harmless here.
        warnings.simplefilter("ignore")
        try:
            import pgserver
        except ImportError:
            raise ConfigurationError(
                "DATABASE_URL is not set and the embedded PostgreSQL (pgserver) is not "
                "installed: run 'make install', or set DATABASE_URL"
            ) from None
        pgserver_log = logging.getLogger("pgserver")
        pgserver_log.disabled = True  # it would dump its log file on stderr; our one line points to it
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            _forget_dead_handles(data_dir)
            server = pgserver.get_server(data_dir, cleanup_mode="stop")
            # atexit runs last-registered first: forget handles of processes that died before
            # pgserver decides whether this one is the last. runserver's reloader, stopped by
            # SIGTERM, kills its child before the child can remove its own handle.
            atexit.register(_forget_dead_handles, data_dir, holding=True)
            _ensure_database(server)
        except Exception as exc:  # noqa: BLE001 - any failure gets the same one-line advice
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigurationError(
                f"DATABASE_URL is not set and the embedded PostgreSQL in {data_dir} would not "
                f"start ({reason}); read {data_dir / 'log'}, delete {data_dir} to start afresh, "
                "or set DATABASE_URL to another server"
            ) from None
        finally:
            pgserver_log.disabled = False
    _exit_cleanly_on_sigterm()
    return server.get_uri(EMBEDDED_DATABASE_NAME)


def _exit_cleanly_on_sigterm() -> None:
    """Python dies on SIGTERM without running atexit, which would leave the embedded server
    running after `kill` or a supervisor's stop. Turn it into a normal exit instead."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)


def _exit_on_sigterm(signum, frame) -> None:
    # A second SIGTERM (a supervisor signalling the group, then runserver's reloader its child)
    # would land inside the atexit handlers and cut the server's shutdown short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(128 + signum)


def _forget_dead_handles(data_dir: Path, *, holding: bool = False) -> None:
    """pgserver stops the server when its list of live handles empties; a process killed with
    SIGKILL never removes itself, which would keep the server running forever. Prune those.

    A process killed while writing the list leaves it empty (runserver's reloader kills its child
    that way on SIGTERM); pgserver would then fail to read it at exit and leave the server running.
    Such a list is started again: with this process alone when it holds a handle (at exit),
    empty when it is about to take one (at start)."""
    import psutil
    from pgserver.postgres_server import PostgresServer

    handles = data_dir / ".handle_pids.json"
    with PostgresServer._lock:  # the lock pgserver itself takes around this file
        try:
            text = handles.read_text()
        except OSError:
            return
        try:
            pids = json.loads(text)
        except ValueError:
            pids = None
        alive = [pid for pid in pids if psutil.pid_exists(pid)] if isinstance(pids, list) else None
        if alive is None:
            alive = [os.getpid()] if holding else []
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _ensure_database(server) -> None:
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as connection:
        exists = connection.execute("select 1 from pg_database where datname = %s", [EMBEDDED_DATABASE_NAME]).fetchone()
        if not exists:
            try:
                connection.execute(f'create database "{EMBEDDED_DATABASE_NAME}"')
            except psycopg.errors.DuplicateDatabase:
                pass  # another process (a parallel test worker) created it first
