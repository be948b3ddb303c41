from django.db import migrations

# What the reports read that no index served (reports/selectors.py), each partial, so that only the
# rows the reports look for pay for it when written:
# - the waitlist places (audit entries `booking.waitlisted`) by the item they wait for: the waitlists
#   report finds a period's waiting members from its items, whatever the size of the trail;
# - the bookings that overrode capacity or entitlement (a few), by their slot or class: the
#   overrides report reads them from the period's items without reading every booking of them.
INDEXES = [
    (
        "audit_logs_waitlisted_item_idx",
        "public.audit_logs ((new_values ->> 'item')) include (entity_id) where action = 'booking.waitlisted'",
    ),
    ("benefit_bookings_override_idx", "public.benefit_bookings (slot_id) where capacity_override"),
    ("class_bookings_override_idx", "public.class_bookings (class_id) where capacity_override"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_report_pages"),
        ("audit", "0005_audit_trail_unit"),
        ("bookings", "0016_next_free_slots"),
    ]

    operations = [
        migrations.RunSQL(sql=f"create index {name} on {definition}", reverse_sql=f"drop index public.{name}")
        for name, definition in INDEXES
    ]
