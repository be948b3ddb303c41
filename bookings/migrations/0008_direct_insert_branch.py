from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Runs booking_engine.sql again: the audit entry of a direct insert records the item's
    branch. Reversing keeps the newer definitions."""

    dependencies = [
        ("bookings", "0007_override_note_limit"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
