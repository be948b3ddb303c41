from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """The registry's closure rules (CC001–CC004) and the closures' lock. Reversing reinstalls 0005's."""

    dependencies = [("clubs", "0005_classes_start_in_past")]

    operations = [run_frozen_sql(__file__, reinstalls="0005_classes_start_in_past")]
