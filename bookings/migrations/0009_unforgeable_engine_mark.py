from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Runs booking_engine.sql again: the engine marks its rows in a table only it can write
    instead of a session setting anyone could set, the test switch for the locks is gone, a
    member's session may insert only its own rows (42501 before any rule), and a waitlist place
    inserted directly obeys the engine's waitlist rules. Reversing keeps the newer definitions."""

    dependencies = [
        ("bookings", "0008_direct_insert_branch"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
