from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Runs booking_engine.sql again: a member's session may insert only rows that are its own
    member's and its own organization's (42501 before any rule). Reversing keeps the newer
    definitions."""

    dependencies = [
        ("bookings", "0009_unforgeable_engine_mark"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
