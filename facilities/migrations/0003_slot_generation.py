from django.db import migrations

from config.sql import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0002_tenant_keys"),
        ("bookings", "0002_tenant_keys"),
        ("audit", "0003_audit_trail_rules"),
    ]

    operations = [
        run_sql_file("facilities", "slot_generation.sql", reverse_filename="slot_generation_reverse.sql"),
    ]
