"""Where the database comes from: DATABASE_URL (Supabase direct or pooled) or the embedded server."""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from config.database import TCP_KEEPALIVES, parse_database_url
from config.errors import ConfigurationError
from config.tests.command_line import PROJECT_DIR, deployer_environment, manage_py, run_manage


def test_supabase_direct_connection_keeps_sslmode():
    config = parse_database_url(
        "postgresql://postgres:s%40cret@db.abcdefghij.supabase.co:5432/postgres?sslmode=require"
    )
    assert config["HOST"] == "db.abcdefghij.supabase.co"
    assert config["PASSWORD"] == "s@cret"
    assert config["OPTIONS"] == {"sslmode": "require", "prepare_threshold": 5, **TCP_KEEPALIVES}
    assert "DISABLE_SERVER_SIDE_CURSORS" not in config


def test_a_urls_own_keepalive_settings_win():
    config = parse_database_url("postgresql://u:p@db.example.com:5432/club?keepalives_idle=120")
    assert config["OPTIONS"]["keepalives_idle"] == 120
    assert config["OPTIONS"]["keepalives_count"] == 3


def test_supabase_session_pooler_is_an_ordinary_connection():
    config = parse_database_url(
        "postgres://postgres.abcdefghij:pw@aws-0-eu-west-1.pooler.supabase.com:5432/postgres?sslmode=require"
    )
    assert config["USER"] == "postgres.abcdefghij"
    assert config["ENGINE"] == "config.db_backend"
    assert "DISABLE_SERVER_SIDE_CURSORS" not in config
    assert config["OPTIONS"]["prepare_threshold"] == 5


def test_supabase_transaction_pooler_turns_off_server_side_cursors_and_prepared_statements():
    config = parse_database_url(
        "postgresql://postgres.abcdefghij:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres?sslmode=require"
    )
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "prepare_threshold" not in config["OPTIONS"]


def test_transaction_pooler_mode_can_be_forced(monkeypatch):
    monkeypatch.setenv("DATABASE_TRANSACTION_POOLER", "true")
    assert parse_database_url("postgresql://u:p@pgbouncer.internal:6432/club")["DISABLE_SERVER_SIDE_CURSORS"]


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("mysql://user@host/club", "DATABASE_URL has scheme 'mysql://', not a PostgreSQL URL"),
        ("db.abcdefghij.supabase.co:5432", "not a PostgreSQL URL"),
        ("postgresql://user:pw@host:5432/", "DATABASE_URL names no database"),
        ("postgresql://user:pw@host:port/club", "DATABASE_URL could not be parsed"),
    ],
)
def test_malformed_urls_are_refused_with_the_variable_and_the_fix(url, complaint):
    with pytest.raises(ConfigurationError) as refusal:
        parse_database_url(url)
    message = str(refusal.value)
    assert complaint in message
    assert "postgresql://USER:PASSWORD@HOST:5432/DBNAME" in message


def test_a_malformed_url_stops_manage_py_with_one_line():
    result = run_manage("check", DATABASE_URL="mysql://user@host/club", DEBUG="true")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: DATABASE_URL has scheme 'mysql://'")


def test_an_embedded_server_that_cannot_start_stops_manage_py_with_one_line(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = run_manage("check", EMBEDDED_DATABASE_DIR=str(blocker / "pgdata"), DEBUG="true")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL is not set and the embedded PostgreSQL" in result.stderr
    assert "set DATABASE_URL" in result.stderr


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def test_a_supervisor_stopping_runserver_stops_the_embedded_server(tmp_path):
    """SIGTERM to the whole process group (a supervisor's stop): runserver's reloader kills its
    child before the child forgets its handle, which used to leave PostgreSQL running."""
    data_dir = tmp_path / "pgdata"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    runserver = subprocess.Popen(
        manage_py("runserver", f"127.0.0.1:{port}"),
        cwd=PROJECT_DIR,
        env=deployer_environment(EMBEDDED_DATABASE_DIR=str(data_dir), DEBUG="true"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _answers(f"http://127.0.0.1:{port}/admin/login/"):
            assert time.monotonic() < deadline and runserver.poll() is None, "runserver did not start"
            time.sleep(0.5)
        assert (data_dir / "postmaster.pid").exists()
        os.killpg(runserver.pid, signal.SIGTERM)
        runserver.wait(timeout=30)
        deadline = time.monotonic() + 30
        while (data_dir / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not (data_dir / "postmaster.pid").exists()
    finally:
        if runserver.poll() is None:
            os.killpg(runserver.pid, signal.SIGKILL)
        _stop_left_behind(data_dir)


def _stop_left_behind(data_dir) -> None:
    """A server this test left running would outlive the run and trouble the next ones."""
    pid_file = data_dir / "postmaster.pid"
    if pid_file.exists():
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)  # immediate shutdown


def test_production_settings_pass_the_deploy_checklist():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k3y-" + "x9Qz!vT2#" * 8,
        ALLOWED_HOSTS="ops.example.com",
        DATABASE_URL="postgresql://postgres:pw@db.abcdefghij.supabase.co:5432/postgres?sslmode=require",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="false", SECRET_KEY="", DATABASE_URL="postgresql://u:p@h:5432/club")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: SECRET_KEY is not set: set it to a long random string, or set DEBUG=true"


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL points the tests elsewhere")
def test_without_database_url_the_tests_run_on_the_embedded_server():
    assert settings.DATABASES["default"]["HOST"] == ""
    assert str(settings.EMBEDDED_DATABASE_DIR) in str(settings.DATABASES["default"]["OPTIONS"].get("host", ""))
