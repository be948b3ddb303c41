from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Runs booking_engine.sql again, so that databases migrated before bring their functions up
    to date (it adds app_private.booking_kind). Reversing keeps the newer definitions."""

    dependencies = [
        ("bookings", "0005_lighter_booking_writes"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
