from django.db import migrations

from config.sql import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_seals"), ("access", "0003_claim_helpers")]

    operations = [
        run_sql_file("audit", "audit_trail.sql", reverse_filename="audit_trail_reverse.sql"),
    ]
