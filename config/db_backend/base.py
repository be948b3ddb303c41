"""Django's PostgreSQL backend, with a health check that costs no round trip while the
connection is quiet, and logs that show prepared statements.

Django checks a reused connection (CONN_HEALTH_CHECKS) with `SELECT 1` at the start of every
request: on Supabase one more network round trip per request, before any real work. A connection
the server has closed (restart, pooler, idle timeout, pg_terminate_backend) leaves its socket
readable: the server's goodbye message, end of file or an error. So when psycopg's connection is
idle, unbroken and its socket has nothing waiting, it is in use; anything else gets Django's own
check. Connections that die silently (a dropped network path) are found by TCP keepalives,
which config/database.py turns on: the kernel then marks the socket with an error, which reads
as "something waiting" here.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base, operations
from psycopg import ClientCursor, errors, pq


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """Statements sent apart from their values (config.sql.prepared_cursor) are logged with the
        values put in, as Django's own are. psycopg keeps no text at all of one it ran prepared,
        which Django would log, and list in a failed query count, as None."""
        if isinstance(cursor, ClientCursor) or sql is None:
            return super().last_executed_query(cursor, sql, params)
        try:
            return self.compose_sql(sql, params)
        except errors.DataError:
            return sql


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def close_if_health_check_failed(self):
        if self.pool is None and self.health_check_enabled and not self.health_check_done and self._quiet():
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self) -> bool:
        """Open, idle between transactions, and nothing unasked-for on its socket."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return False
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
