from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_seals"), ("access", "0003_claim_helpers")]

    operations = [
        run_frozen_sql(__file__),
    ]
