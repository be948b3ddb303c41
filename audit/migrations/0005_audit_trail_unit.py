from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """The audit trail's rules as audit/sql/audit_trail/ has them: audit_trail.sql changed after
    audit 0003 without a migration of its own (an entry queues with its occurred_at, which
    audit_pending requires since audit 0002 changed; audit_record is PL/pgSQL, planned once per
    session). Reversing keeps them: the first ones cannot queue an entry any more."""

    dependencies = [
        ("audit", "0004_lighter_trail_writes"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
