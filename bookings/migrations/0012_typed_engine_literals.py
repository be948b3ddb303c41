from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Runs booking_engine.sql again: its literals are typed where a variable or column takes them
    ('{}'::text[], '[]'::jsonb, null::integer), which plpgsql_check asks for. Reversing keeps the
    newer definitions."""

    dependencies = [
        ("bookings", "0011_tenant_key_indexes"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
