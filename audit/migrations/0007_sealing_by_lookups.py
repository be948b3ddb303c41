from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Sealing's batch statement planned as lookups whatever the statistics say: the queue read
    once, each entry's seal looked for by key, the queue rows taken off by their addresses. Its plan
    is made once per session; with a seal table that grew under it by a million rows, one run had
    sealed at half the rate of the runs before and after. Reversing reinstalls audit 0006's."""

    dependencies = [
        ("audit", "0006_partitioned_trail"),
    ]

    operations = [
        run_frozen_sql(__file__, reinstalls="0006_partitioned_trail"),
    ]
