from django.db import migrations, models

import clubs.models
from config.sql import run_frozen_sql


def time_ordered_key() -> models.UUIDField:
    return models.UUIDField(
        db_default=clubs.models.TimeOrderedUUID(), editable=False, primary_key=True, serialize=False
    )


class Migration(migrations.Migration):
    """Bookings keyed by time-ordered UUIDs (clubs 0007), by the engine and by the tables' default
    alike. Reversing reinstalls 0017's engine."""

    dependencies = [("bookings", "0017_closures"), ("clubs", "0007_uuid_v7")]

    operations = [
        migrations.AlterField(model_name="benefitbooking", name="id", field=time_ordered_key()),
        migrations.AlterField(model_name="classbooking", name="id", field=time_ordered_key()),
        run_frozen_sql(__file__, reinstalls="0017_closures"),
    ]
