"""The health check of kept connections: no round trip while a connection is quiet, and a
connection the server has closed is replaced before anything uses it."""

import select
import time

import pytest
from django.db import connection

from config.db_backend.base import DatabaseWrapper
from config.testing import committed_connection


@pytest.fixture
def kept_connection(db):
    """A connection of the app's backend kept between requests (CONN_MAX_AGE as in production),
    outside the test's transaction, where Django checks connections."""
    wrapper = DatabaseWrapper({**connection.settings_dict, "CONN_MAX_AGE": 60}, alias=connection.alias)
    assert wrapper.settings_dict["CONN_HEALTH_CHECKS"]
    yield wrapper
    wrapper.close()


def start_of_request(wrapper: DatabaseWrapper) -> None:
    """What Django does with a kept connection when a request begins and opens its first cursor."""
    wrapper.close_if_unusable_or_obsolete()
    wrapper.close_if_health_check_failed()


def backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("select pg_backend_pid()")
        return cursor.fetchone()[0]


def last_statement_of(pid: int) -> str:
    with committed_connection() as observer:
        return observer.execute("select query from pg_stat_activity where pid = %s", [pid]).fetchone()[0]


def terminate(pid: int) -> None:
    with committed_connection() as observer:
        observer.autocommit = True  # a transaction would see one snapshot of pg_stat_activity
        observer.execute("select pg_terminate_backend(%s)", [pid])
        for _ in range(100):  # termination is asynchronous
            if not observer.execute("select from pg_stat_activity where pid = %s", [pid]).fetchone():
                return
            time.sleep(0.02)
    raise AssertionError("the backend did not go away")


def test_a_quiet_connection_passes_without_a_round_trip(kept_connection):
    pid = backend_pid(kept_connection)
    start_of_request(kept_connection)
    assert kept_connection.health_check_done
    assert kept_connection.connection.info.backend_pid == pid
    assert last_statement_of(pid) == "select pg_backend_pid()"  # no SELECT 1 reached the server


def test_a_connection_the_server_closed_is_replaced_before_use(kept_connection):
    pid = backend_pid(kept_connection)
    terminate(pid)
    # what a request starting later finds: the server's goodbye on the socket (on a loaded machine
    # it may land a moment after the backend has left pg_stat_activity)
    poller = select.poll()
    poller.register(kept_connection.connection.fileno(), select.POLLIN | select.POLLPRI)
    assert poller.poll(5000), "the server's goodbye never reached the connection"
    start_of_request(kept_connection)
    assert backend_pid(kept_connection) != pid


def test_a_connection_left_inside_a_transaction_gets_the_full_check(kept_connection):
    pid = backend_pid(kept_connection)
    kept_connection.connection.execute("begin")
    start_of_request(kept_connection)
    assert last_statement_of(pid) == "SELECT 1"
