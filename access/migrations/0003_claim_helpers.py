from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    dependencies = [("access", "0002_staff_groups"), ("members", "0002_tenant_keys")]

    operations = [
        run_frozen_sql(__file__),
    ]
