from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        # Not reversed: roles are shared by every database of the cluster, and on Supabase
        # this step created nothing to remove.
        run_frozen_sql(__file__),
    ]
