from django.db import migrations

from config.sql import run_sql_file


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        # Not reversed: roles are shared by every database of the cluster, and on Supabase
        # this step created nothing to remove.
        run_sql_file("access", "supabase_compat.sql"),
    ]
