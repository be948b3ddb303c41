from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0002_tenant_keys"),
        ("bookings", "0002_tenant_keys"),
        ("audit", "0003_audit_trail_rules"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
