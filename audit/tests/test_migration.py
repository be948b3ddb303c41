"""audit 0006 on a trail that exists: its entries, seals and queue move into the partitioned trail,
which verifies; reversing it puts them back in one table."""

import datetime
import uuid

from django.db import connection

from audit.chain import GENESIS_HASH, chain_hash
from audit.selectors import audit_verify
from config.tests.test_sql_history import _default_database, _migrate, _scratch_databases

BEFORE = ("audit", "0005_audit_trail_unit")
LONG_AGO = datetime.datetime(2011, 3, 31, 23, 30, tzinfo=datetime.UTC)


def rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _trail_before_0006(organization: uuid.UUID) -> list[uuid.UUID]:
    """Three entries (one of 2011), the first two sealed as seal_audit sealed them then, the third
    still queued."""
    rows("insert into organizations (id, name, slug) values (%s, 'Old club', 'old-club')", [organization])
    ids = []
    for occurred_at in (LONG_AGO, None, None):
        ids.append(uuid.uuid4())
        rows(
            "insert into audit_logs (id, occurred_at, organization_id, actor_type, actor_id, actor_label, action,"
            " entity_type, entity_id, source, request_id) values (%s, coalesce(%s, now()), %s, 'system', 'seed',"
            " 'seed', 'facility.updated', 'facility', 'f1', 'command', '')",
            [ids[-1], occurred_at, organization],
        )
    previous = GENESIS_HASH
    for position, entry in enumerate(ids[:2], start=1):
        content = rows("select app_private.audit_entry_content(e) from audit_logs e where id = %s", [entry])[0][0]
        current = chain_hash(previous, content)
        rows(
            "insert into audit_seals (audit_log_id, chain, position, previous_hash, hash) values (%s, %s, %s, %s, %s)",
            [entry, organization, position, previous, current],
        )
        rows("delete from audit_pending where audit_log_id = %s", [entry])
        previous = current
    return ids


def test_the_trail_moves_into_its_partitions_with_its_seals_and_queue_and_back(django_db_blocker):
    organization = uuid.uuid4()
    with django_db_blocker.unblock(), _scratch_databases(1) as (name,), _default_database(name):
        _migrate(*BEFORE)
        ids = _trail_before_0006(organization)
        _migrate()

        assert rows("select relkind from pg_class where oid = 'audit_logs'::regclass") == [("p",)]
        assert rows("select tableoid::regclass::text from audit_logs where id = %s", [ids[0]]) == [
            ("audit_partitions.audit_logs_2011_03",)
        ]
        assert rows("select count(*) from audit_partitions.audit_logs_default") == [(0,)]
        assert rows("select occurred_at from audit_seals where audit_log_id = %s", [ids[0]]) == [(LONG_AGO,)]
        assert rows("select audit_log_id from audit_pending") == [(ids[2],)]
        report = audit_verify(organization_id=organization)
        assert report.intact and (report.chains[0].verified, report.chains[0].unsealed) == (2, 1)
        assert rows("select relrowsecurity from pg_class where oid = 'audit_logs'::regclass") == [(True,)]

        _migrate(*BEFORE)
        assert rows("select relkind from pg_class where oid = 'audit_logs'::regclass") == [("r",)]
        assert rows("select id from audit_logs order by occurred_at") == [(entry,) for entry in ids]
        assert rows("select count(*) from audit_seals") == [(2,)]
        assert rows("select to_regnamespace('audit_partitions')") == [(None,)]
        assert rows(
            "select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'audit_logs'::regclass"
            " and contype = 'p'"
        ) == [("PRIMARY KEY (id)",)]
