from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0003_booking_engine_fields"),
        ("members", "0003_member_search"),
        ("audit", "0003_audit_trail_rules"),
        ("facilities", "0003_slot_generation"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
