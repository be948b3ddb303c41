"""Behind PgBouncer in transaction mode, as production behind Supavisor's port 6543
(config/database.py): the pooled settings prepare no statement and open no cursor that would outlive
a transaction; the app's own work through a pool that resets nothing leaves its server connections
as it found them; and two app servers (gunicorn) on one database through the pooler share the
per-member throttle, the staff sessions and the booking engine's locks.

Run by `make test-pooler` (python -m config.tests.pooler), which puts the whole run behind a
PgBouncer and names the server behind it; skipped elsewhere.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import re
import subprocess
import sys
import time
import types
import uuid
from contextlib import ExitStack, contextmanager
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Permission
from django.db import connection
from psycopg.rows import dict_row

from access.staff_groups import FRONT_DESK
from bookings.tests.conftest import tomorrow_at
from bookings.tests.test_concurrency import CommittedClub, all_at_once, assert_exactly_full
from config.database import PREPARE_AFTER_RUNS
from config.sql import prepared_cursor
from config.testing import committed_connection
from config.tests.command_line import PROJECT_DIR, deployer_environment, manage_py
from config.tests.pooler import SERVER_VARIABLE, PgBouncer, free_port
from members.tests.tokens import member_token

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        SERVER_VARIABLE not in os.environ, reason="runs behind PgBouncer, in the pooler suite: make test-pooler"
    ),
]

# The server connections all the app servers' threads share: fewer than the threads.
POOL_SIZE = 3
RATE_PER_MINUTE = 6
CACHE_TABLE = "pooler_test_throttle"
STAFF_PAGE = "/admin/desk/today/"  # where the front desk starts
# What PgBouncer 1.18 itself sets on a server connection for each client it lends it to.
SET_BY_THE_POOLER = ["application_name", "client_encoding", "DateStyle", "TimeZone", "standard_conforming_strings"]
# Custom settings (request.jwt.claims, ...) exist only as placeholders, which pg_settings does not
# list: the ones the app's SQL reads are looked up by name.
SETTINGS_THE_APP_READS = r"""
select coalesce(array_agg(distinct found[1]), '{}')
from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
     regexp_matches(p.prosrc, $$current_setting\(\s*'(\w+\.[\w.]+)'$$, 'g') found
where n.nspname in ('public', 'app_private')
"""
SESSION_STATE = """
select current_user <> session_user or current_setting('role') <> 'none' as switched_role,
       (select count(*) from pg_locks where pid = pg_backend_pid() and locktype = 'advisory') as advisory_locks,
       (select count(*) from pg_prepared_statements) as prepared_statements,
       (select count(*) from pg_cursors where name <> '') as cursors,  -- '': the query's own portal
       (select count(*) from pg_listening_channels()) as listening,
       (select count(*) from pg_class where relnamespace = pg_my_temp_schema()) as temporary_relations,
       array(select name from pg_settings where source = 'session' and name <> all(%(pooler)s) order by name)
           as settings,
       array(select name from unnest(%(custom)s::text[]) name where coalesce(current_setting(name, true), '') <> '')
           as custom_settings
"""
CLEAN = {
    "switched_role": False,
    "advisory_locks": 0,
    "prepared_statements": 0,
    "cursors": 0,
    "listening": 0,
    "temporary_relations": 0,
    "settings": [],
    "custom_settings": [],
}


@pytest.fixture(scope="module")
def server():
    """The server behind the suite's pooler (a pooler of a test's own goes in front of it)."""
    return json.loads(os.environ[SERVER_VARIABLE])


def server_connection_states(pooler: PgBouncer, database: str) -> list[dict]:
    """What each of the pool's server connections carries into the next client's transaction. Each
    client holds its transaction open, so the pooler lends each a server connection of its own."""
    with ExitStack() as clients:
        connections = [
            clients.enter_context(
                psycopg.connect(**pooler.connection_parameters(database), prepare_threshold=None, row_factory=dict_row)
            )
            for _ in range(pooler.pool_size)
        ]
        (custom,) = connections[0].execute(SETTINGS_THE_APP_READS).fetchone().values()
        return [
            client.execute(SESSION_STATE, {"pooler": SET_BY_THE_POOLER, "custom": custom}).fetchone()
            for client in connections
        ]


# The pooled settings.


def test_the_pooled_settings_prepare_no_statement():
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert connection.get_connection_params()["prepare_threshold"] is None
    for _ in range(2 * PREPARE_AFTER_RUNS):  # the hot paths' cursor would prepare it by now
        with prepared_cursor() as cursor:
            cursor.execute("select %s::integer + 1", [1])
    with connection.cursor() as cursor:  # the same transaction: the same server connection
        cursor.execute("select count(*) from pg_prepared_statements")
        assert cursor.fetchone() == (0,)


def test_a_queryset_read_in_chunks_declares_no_cursor():
    open_cursors = []
    for _ in Permission.objects.order_by("pk").iterator(chunk_size=10):
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from pg_cursors where name <> ''")
            open_cursors.append(cursor.fetchone()[0])
        break
    assert open_cursors == [0]


def test_statements_prepared_as_outside_a_pooler_collide_on_its_server_connection(server):
    """Why preparing is off: two clients each prepare their first statement under the same name,
    on the one server connection the pooler lends them in turn. With the app's setting, no clash."""
    database = connection.settings_dict["NAME"]
    with PgBouncer(server, pool_size=1) as pooler:
        parameters = {**pooler.connection_parameters(database), "autocommit": True}
        with psycopg.connect(**parameters, prepare_threshold=0) as one, psycopg.connect(**parameters) as other:
            one.execute("select 1")
            other.prepare_threshold = 0
            with pytest.raises(psycopg.errors.DuplicatePreparedStatement):
                other.execute("select 2")
        with psycopg.connect(**parameters, prepare_threshold=None) as one, psycopg.connect(**parameters) as other:
            other.prepare_threshold = None
            one.execute("select 1")
            assert other.execute("select 2").fetchone() == (2,)


def test_the_check_sees_what_a_careless_client_leaves_on_a_server_connection(server):
    """The control for the check below: each kind of session state, left on a pool of one."""
    database = connection.settings_dict["NAME"]
    with PgBouncer(server, pool_size=1) as pooler:
        parameters = pooler.connection_parameters(database)
        with psycopg.connect(**parameters, autocommit=True, prepare_threshold=0) as careless:
            careless.execute("select pg_advisory_lock(17)")
            careless.execute("select set_config('request.jwt.claims', '{\"sub\": \"x\"}', false)")
            careless.execute("set statement_timeout = '5s'")
            careless.execute("create temporary table scratch (id integer)")
            careless.execute("declare leftover cursor with hold for select 1")
            careless.execute("listen somewhere")
            careless.execute("set role authenticated")
        (state,) = server_connection_states(pooler, database)
    assert [name for name, value in state.items() if not value] == []
    assert state["settings"] == ["statement_timeout"]
    assert state["custom_settings"] == ["request.jwt.claims"]


# Two app servers through one pooler.


def staff_user_committed() -> types.SimpleNamespace:
    """A front-desk user (never asked for a second factor), committed for the servers to see."""
    hasher = PBKDF2PasswordHasher()  # the servers' hasher; the test settings' is MD5
    user = types.SimpleNamespace(username=f"pooler-{uuid.uuid4().hex[:8]}", password="pooler-test-password")
    with committed_connection() as db:
        (user.id,) = db.execute(
            "insert into auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
            " is_active, date_joined) values (%s, false, %s, '', '', '', true, true, now()) returning id",
            [hasher.encode(user.password, hasher.salt()), user.username],
        ).fetchone()
        db.execute(
            "insert into auth_user_groups (user_id, group_id) select %s, id from auth_group where name = %s",
            [user.id, FRONT_DESK],
        )
    return user


def remove_staff_user(user) -> None:
    with committed_connection() as cleanup:
        cleanup.execute("set session_replication_role = replica")  # past the audit trail's append-only triggers
        entries = "select id from audit_logs where actor_type = 'staff' and actor_id = %s"
        for table, column in [("audit_seals", "audit_log_id"), ("audit_pending", "audit_log_id"), ("audit_logs", "id")]:
            cleanup.execute(f"delete from {table} where {column} in ({entries})", [str(user.id)])
        cleanup.execute("delete from auth_user_groups where user_id = %s", [user.id])
        cleanup.execute("delete from auth_user where id = %s", [user.id])


def drop_cache_table() -> None:
    with committed_connection() as db:
        db.execute(f"drop table {CACHE_TABLE}")


def run_manage(environment: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        manage_py(*args), cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


@contextmanager
def gunicorn(environment: dict, log_path):
    """An app server as production runs it, several workers of several threads; its port, with the
    process still starting (`serving` waits for it)."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--threads", "4",
               "--bind", f"127.0.0.1:{port}"]  # fmt: skip
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=PROJECT_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield types.SimpleNamespace(port=port, process=server, log_path=log_path)
    finally:
        server.terminate()
        server.wait(timeout=30)


def serving(server) -> int:
    deadline = time.monotonic() + 90
    while True:
        try:
            request(server.port, "GET", "/api/v1/no-such-endpoint")  # answered once a worker has booted
            return server.port
        except OSError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start: {server.log_path.read_text()}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def two_servers(django_db_setup, server, tmp_path_factory):
    """Two gunicorns on the test database through a pooler of their own, which resets nothing
    between transactions; the per-member throttle counts in the database cache."""
    database = connection.settings_dict["NAME"]
    logs = tmp_path_factory.mktemp("gunicorn")
    with ExitStack() as stack:
        pooler = stack.enter_context(PgBouncer(server, pool_size=POOL_SIZE))
        environment = deployer_environment(
            DATABASE_URL=pooler.url(database),
            DATABASE_TRANSACTION_POOLER="true",
            CONN_MAX_AGE="60",
            CACHE_URL=f"dbcache://{CACHE_TABLE}",
            API_RATE_PER_MEMBER=f"{RATE_PER_MINUTE}/min",
            SUPABASE_JWT_SECRET=settings.SUPABASE_JWT_SECRET,
            DEBUG="true",  # the admin's pages need the static files' manifest otherwise
            ALLOWED_HOSTS="127.0.0.1",
        )
        created = run_manage(environment, "createcachetable")
        assert created.returncode == 0, created.stderr
        stack.callback(drop_cache_table)
        club = CommittedClub()
        stack.callback(club.remove)
        staff = staff_user_committed()
        stack.callback(remove_staff_user, staff)
        servers = [stack.enter_context(gunicorn(environment, logs / f"server-{number}.log")) for number in (1, 2)]
        ports = [serving(server) for server in servers]
        yield types.SimpleNamespace(
            pooler=pooler, database=database, environment=environment, ports=ports, club=club, staff=staff
        )


def request(port: int, method: str, path: str, *, headers=None, body: str | None = None):
    """(status, headers, body) of one request on a connection of its own."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        client.request(method, path, body=body, headers=headers or {})
        response = client.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        client.close()


def as_member(club, member_number: int) -> dict:
    member, auth_user = club.members[member_number]
    token = member_token(types.SimpleNamespace(auth_user_id=auth_user, organization_id=club.org))
    return {"Authorization": f"Bearer {token}"}


def cookies_of(headers) -> dict:
    jar = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def as_cookie(cookies: dict) -> dict:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


def sign_in(port: int, staff) -> dict:
    """The staff sign-in form, filled in on that server: the cookies it gives."""
    _, headers, page = request(port, "GET", "/admin/login/")
    cookies = cookies_of(headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": token, "username": staff.username, "password": staff.password, "next": "/admin/"}
    status, headers, page = request(
        port, "POST", "/admin/login/", body=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded", **as_cookie(cookies)},
    )  # fmt: skip
    assert status == 302, page
    return {**cookies, **cookies_of(headers)}


def test_a_member_throttled_on_one_server_is_throttled_on_the_other(two_servers):
    first, second = two_servers.ports
    member = as_member(two_servers.club, 0)
    allowed = [request(two_servers.ports[number % 2], "GET", "/api/v1/bookings", headers=member)[0]
               for number in range(RATE_PER_MINUTE)]  # fmt: skip
    assert allowed == [200] * RATE_PER_MINUTE
    for port in (first, second):
        status, _, body = request(port, "GET", "/api/v1/bookings", headers=member)
        assert (status, json.loads(body)["code"]) == (429, "throttled")
    other_member = as_member(two_servers.club, 1)
    assert request(first, "GET", "/api/v1/bookings", headers=other_member)[0] == 200


def test_a_staff_session_made_on_one_server_works_on_the_other(two_servers):
    first, second = two_servers.ports
    assert request(second, "GET", STAFF_PAGE)[0] == 302  # no session: the sign-in page
    cookies = sign_in(first, two_servers.staff)
    status, _, page = request(second, "GET", STAFF_PAGE, headers=as_cookie(cookies))
    assert status == 200 and two_servers.staff.username in page
    request(second, "POST", "/admin/logout/", headers={"X-CSRFToken": cookies["csrftoken"], **as_cookie(cookies)})
    status, headers, _ = request(first, "GET", STAFF_PAGE, headers=as_cookie(cookies))
    assert (status, headers["Location"]) == (302, f"/admin/login/?next={STAFF_PAGE}")  # signed out on both


@pytest.mark.parametrize("kind", ["slot", "class"])
def test_concurrent_bookings_through_both_servers_fill_exactly_the_last_places(two_servers, kind):
    club = two_servers.club
    item = club.slot if kind == "slot" else club.scheduled_class

    def attempt(number: int):
        wanted = {"kind": kind, "item": str(item), "join_waitlist": number % 2 == 0}
        status, _, body = request(
            two_servers.ports[number % 2], "POST", "/api/v1/bookings", body=json.dumps(wanted),
            headers={"Content-Type": "application/json", **as_member(club, number)},
        )  # fmt: skip
        answer = json.loads(body)
        return answer["status"] if status == 201 else answer["code"]

    first_contender = len(club.members) - len(club.contenders)
    outcomes = all_at_once(attempt, list(range(first_contender, len(club.members))))
    assert_exactly_full(club, kind, outcomes)


def test_the_apps_work_leaves_nothing_on_the_pools_server_connections(two_servers, tmp_path):
    """The API, the staff pages and the commands through a pool that resets nothing: after each,
    every server connection is as a new one, for whichever client the pooler lends it to next."""
    club, (first, second) = two_servers.club, two_servers.ports
    day = tomorrow_at(0).date().isoformat()
    before = (tomorrow_at(0) - datetime.timedelta(days=2)).date().isoformat()

    def api():
        for port, path in [(first, "/api/v1/bookings"), (second, f"/api/v1/slots?date={day}"),
                           (first, "/api/v1/classes"), (second, "/api/v1/entitlements")]:  # fmt: skip
            assert request(port, "GET", path, headers=as_member(club, 2))[0] == 200

    def staff_pages():
        cookies = sign_in(second, two_servers.staff)
        assert request(first, "GET", STAFF_PAGE, headers=as_cookie(cookies))[0] == 200

    def commands():
        """The deploy's and cron's commands, in one process to start Django once."""
        trail = tmp_path / "trail.csv"
        calls = [
            ("sync_grants",),
            ("ensure_slots", "--branch", str(club.branch), "--days", "2"),
            ("seal_audit",),
            ("verify_audit", "--org", str(club.org)),
            ("export_audit", "--from", before, "--to", day, "--org", str(club.org), "--output", str(trail)),
        ]
        script = f"from django.core.management import call_command\nfor call in {calls!r}:\n    call_command(*call)"
        done = run_manage(two_servers.environment, "shell", "--command", script)
        assert done.returncode == 0, (done.stdout, done.stderr)

    left_behind = {}
    for name, work in [
        ("the API", api),
        ("the staff pages", staff_pages),
        ("sync_grants, ensure_slots, seal_audit, verify_audit and export_audit", commands),
    ]:
        work()
        states = server_connection_states(two_servers.pooler, two_servers.database)
        if states != [CLEAN] * POOL_SIZE:
            left_behind[name] = states
    assert left_behind == {}
