from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """app_private.facility_defaults(): how a facility without settings is booked, generated from
    facilities.models.FACILITY_DEFAULTS (facilities/sql/defaults/)."""

    dependencies = [("facilities", "0007_slot_generation_unit"), ("access", "0001_supabase_compat")]

    operations = [run_frozen_sql(__file__)]
