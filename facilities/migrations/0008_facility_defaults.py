from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """How a facility without settings is booked (app_private.default_opens_at() and its siblings) and
    the longest slot run, generated from facilities.models (facilities/sql/defaults/)."""

    dependencies = [("facilities", "0007_slot_generation_unit"), ("access", "0001_supabase_compat")]

    operations = [run_frozen_sql(__file__)]
