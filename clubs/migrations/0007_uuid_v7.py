from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """app_private.uuid_v7(), time-ordered keys (clubs/sql/ids/). Reversing drops it."""

    dependencies = [("clubs", "0006_closure_rules")]

    operations = [run_frozen_sql(__file__)]
