from django.db import migrations

from config.sql import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("access", "0002_staff_groups"), ("members", "0002_tenant_keys")]

    operations = [
        run_sql_file("access", "claim_helpers.sql", reverse_filename="claim_helpers_reverse.sql"),
    ]
