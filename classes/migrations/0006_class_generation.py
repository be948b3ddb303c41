from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Classes generated from the weekly timetable (app_private.generate_classes). Reversing drops it."""

    dependencies = [
        ("classes", "0005_timetable"),
        ("facilities", "0008_facility_defaults"),
        ("audit", "0005_audit_trail_unit"),
        ("clubs", "0004_rules_and_locks"),
    ]

    operations = [run_frozen_sql(__file__)]
