from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Runs booking_engine.sql again: an UPDATE may not move a booking to another member, item or
    organization (CB016), which no rule would have counted. Reversing keeps the newer definitions."""

    dependencies = [
        ("bookings", "0012_typed_engine_literals"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
