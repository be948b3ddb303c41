from django.conf import settings
from django.db import migrations, models

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """What a closure covers, why an item is closed, and the closures' own rules (facilities/sql/closures/)."""

    dependencies = [
        ('clubs', '0006_closure_rules'),
        ('facilities', '0010_closures'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='closure',
            name='closures_branch_start_idx',
        ),
        migrations.AddIndex(
            model_name='closure',
            index=models.Index(fields=['branch', 'ends_at'], name='closures_branch_end_idx'),
        ),
        run_frozen_sql(__file__),
    ]
