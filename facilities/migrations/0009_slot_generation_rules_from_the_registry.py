from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Slot generation refuses by the registry's rules (its own SQLSTATE CS001 for a bad range, no
    more 22023, P0002 or 42501, which PostgreSQL itself raises for other reasons), takes its lock
    through the lock registry and reads the facility defaults from facilities 0008. Reversing
    reinstalls 0007's definitions."""

    dependencies = [("facilities", "0008_facility_defaults"), ("clubs", "0004_rules_and_locks")]

    operations = [run_frozen_sql(__file__, reinstalls="0007_slot_generation_unit")]
