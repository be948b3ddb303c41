from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """The rule registry (config/rules.py) and the advisory-lock spaces in SQL
    (clubs/sql/platform/), which the booking engine, slot generation and the audit trail use."""

    dependencies = [("clubs", "0003_plain_words_rules"), ("access", "0001_supabase_compat")]

    operations = [run_frozen_sql(__file__)]
