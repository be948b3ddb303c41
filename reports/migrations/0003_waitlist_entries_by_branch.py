from django.db import migrations


class Migration(migrations.Migration):
    """The waitlists report reads a branch's waitlist places (audit entries `booking.waitlisted`) in
    time order and finds each one's booking by the entry's entity: a partial index of those entries
    by branch and time, carrying the entity, replaces the index by item (0002), whose join on a text
    cast the planner misjudged."""

    dependencies = [("reports", "0002_report_indexes")]

    operations = [
        migrations.RunSQL(
            sql=[
                "drop index public.audit_logs_waitlisted_item_idx",
                "create index audit_logs_waitlisted_branch_idx on public.audit_logs (branch_id, occurred_at)"
                " include (entity_id) where action = 'booking.waitlisted'",
            ],
            reverse_sql=[
                "drop index public.audit_logs_waitlisted_branch_idx",
                "create index audit_logs_waitlisted_item_idx on public.audit_logs ((new_values ->> 'item'))"
                " include (entity_id) where action = 'booking.waitlisted'",
            ],
        ),
    ]
