"""prepared_cursor: the hot statements are prepared once per connection, and behave like Django's."""

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from config.database import PREPARE_AFTER_RUNS
from config.sql import prepared_cursor

pytestmark = pytest.mark.django_db

STATEMENT = "select %s::integer + 1 as prepared_cursor_probe"


def _prepared_probes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from pg_prepared_statements where statement like '%%prepared_cursor_probe%%'")
        return cursor.fetchone()[0]


def test_a_statement_run_often_is_prepared_on_the_connection():
    results = []
    for number in range(PREPARE_AFTER_RUNS + 1):
        with prepared_cursor() as cursor:
            cursor.execute(STATEMENT, [number])
            results.append(cursor.fetchone()[0])
    assert results == list(range(1, PREPARE_AFTER_RUNS + 2))
    assert _prepared_probes() == 1


def test_django_counts_its_queries_and_wraps_its_errors(django_assert_num_queries):
    with django_assert_num_queries(1), prepared_cursor() as cursor:
        cursor.execute(STATEMENT, [1])
    with pytest.raises(DatabaseError), prepared_cursor() as cursor:
        cursor.execute("select 1 / %s", [0])


def test_logs_show_the_statements_with_their_values_prepared_or_not():
    runs = range(PREPARE_AFTER_RUNS + 2)
    with CaptureQueriesContext(connection) as log:
        for number in runs:
            with prepared_cursor() as cursor:
                cursor.execute(STATEMENT, [number])
    assert [query["sql"] for query in log.captured_queries] == [STATEMENT % number for number in runs]
