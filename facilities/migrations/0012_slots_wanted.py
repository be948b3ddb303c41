from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """What the settings want, one function (app_private.facility_slots_wanted) that slot generation
    and schedule changes share. Reversing drops it and reinstalls 0009's generator."""

    dependencies = [("facilities", "0011_closure_rules")]

    operations = [run_frozen_sql(__file__, reinstalls="0009_slot_generation_rules_from_the_registry")]
