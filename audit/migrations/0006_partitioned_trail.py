import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

from config.sql import run_frozen_sql

# audit_logs becomes a table partitioned by month (occurred_at, UTC): its primary key takes
# occurred_at too (Django's state keeps `id` as the key: ids are random UUIDs, and entries are
# found by id), its partitions live in schema audit_partitions, with a default partition for an
# entry whose month has none. Its indexes are made again as they were (Django's and the reports'),
# and its rows move in at the end, once the rules are installed on it.
PARTITION_THE_TRAIL = """
drop function app_private.audit_entry_content(public.audit_logs);
create schema audit_partitions;
comment on schema audit_partitions is
    'The audit trail''s partitions, one a month: reached only through public.audit_logs.';
do $$
declare
    indexes text[] := array(
        select pg_get_indexdef(index.indexrelid)
        from pg_index index
        where index.indrelid = 'public.audit_logs'::regclass and not index.indisprimary
        order by 1
    );
    index_name text;
    definition text;
begin
    for index_name in
        select index.indexrelid::regclass::text
        from pg_index index
        where index.indrelid = 'public.audit_logs'::regclass and not index.indisprimary
    loop
        execute 'drop index ' || index_name;
    end loop;
    alter table public.audit_logs rename to audit_logs_unpartitioned;
    alter table public.audit_logs_unpartitioned rename constraint audit_logs_pkey to audit_logs_unpartitioned_pkey;
    create table public.audit_logs (
        like public.audit_logs_unpartitioned including defaults including constraints including storage including comments
    ) partition by range (occurred_at);
    alter table public.audit_logs add constraint audit_logs_pkey primary key (id, occurred_at);
    create table audit_partitions.audit_logs_default partition of public.audit_logs default;
    foreach definition in array indexes loop
        execute definition;
    end loop;
end
$$;

-- Each seal names its entry's occurred_at, so that it finds its entry in its month.
alter table public.audit_seals add column occurred_at timestamptz;
alter table public.audit_seals disable trigger audit_seals_append_only;
update public.audit_seals seal
set occurred_at = coalesce(
    (select entry.occurred_at from public.audit_logs_unpartitioned entry where entry.id = seal.audit_log_id),
    seal.sealed_at  -- an entry gone from under its seal: verify_audit reports it missing, as before
);
alter table public.audit_seals enable trigger audit_seals_append_only;
alter table public.audit_seals alter column occurred_at set not null;
"""

MOVE_THE_ROWS = """
select app_private.audit_partitions_ensure(
    array(select distinct (entry.occurred_at at time zone 'UTC')::date from public.audit_logs_unpartitioned entry)
);
-- As they were: queued or sealed already.
alter table public.audit_logs disable trigger audit_logs_queue_for_sealing;
insert into public.audit_logs select * from public.audit_logs_unpartitioned;
alter table public.audit_logs enable trigger audit_logs_queue_for_sealing;
drop table public.audit_logs_unpartitioned;
"""


class Migration(migrations.Migration):
    """The audit trail partitioned by month, with retention (archive_audit) and sealing in SQL.
    Reversing it (sql/0006_partitioned_trail.reverse.sql, then audit 0005's rules) puts the trail
    back in one table; it stops at a month's table detached by archive_audit and not dropped."""

    dependencies = [
        ("audit", "0005_audit_trail_unit"),
        ("clubs", "0007_uuid_v7"),  # entries' ids
    ]

    operations = [
        migrations.AlterField(
            model_name="auditseal",
            name="entry",
            field=models.OneToOneField(
                db_column="audit_log_id",
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                primary_key=True,
                related_name="seal",
                serialize=False,
                to="audit.auditlog",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                # undone by the reverse SQL of run_frozen_sql below, which runs first
                migrations.RunSQL(PARTITION_THE_TRAIL, reverse_sql=migrations.RunSQL.noop),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="auditseal",
                    name="occurred_at",
                    field=models.DateTimeField(
                        default=None,
                        help_text="The entry's, which with its id finds it in its month.",
                    ),
                    preserve_default=False,
                ),
            ],
        ),
        migrations.CreateModel(
            name="AuditCut",
            fields=[
                (
                    "month",
                    models.DateField(help_text="The first day of the month (UTC).", primary_key=True, serialize=False),
                ),
                ("cut_at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False)),
                ("entries", models.BigIntegerField()),
                ("archive_name", models.CharField(help_text="The export's file name, as given.", max_length=255)),
                ("archive_sha256", models.CharField(help_text="The export file's own sha256.", max_length=64)),
                (
                    "dropped",
                    models.BooleanField(help_text="Dropped, or else detached (kept as a table of its own)."),
                ),
            ],
            options={
                "db_table": "audit_cuts",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("month__day", 1)), name="audit_cuts_month_first_day")
                ],
            },
        ),
        migrations.CreateModel(
            name="AuditCutRun",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "chain", "first_position", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("chain", models.UUIDField()),
                ("first_position", models.BigIntegerField()),
                ("last_position", models.BigIntegerField()),
                ("last_hash", models.CharField(max_length=64)),
                (
                    "cut",
                    models.ForeignKey(
                        db_column="month",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="runs",
                        to="audit.auditcut",
                    ),
                ),
            ],
            options={
                "db_table": "audit_cut_runs",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("first_position__gt", 0), ("last_position__gte", models.F("first_position"))),
                        name="audit_cut_runs_positions",
                    )
                ],
            },
        ),
        run_frozen_sql(__file__, reinstalls="0005_audit_trail_unit"),
        migrations.RunSQL(MOVE_THE_ROWS, reverse_sql=migrations.RunSQL.noop),
    ]
