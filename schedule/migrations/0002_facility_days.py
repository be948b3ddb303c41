from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """A facility's days of the week are part of its booking shape: app_private.change_facility_schedule
    takes them (p_available_days), so a change of them goes through the preview; the moved classes
    and the booked slots with new times are listed with who booked them. The function's signature
    changes, so its previous definition goes first. Reversing drops it and reinstalls 0001's."""

    dependencies = [("schedule", "0001_schedule_changes")]

    operations = [
        migrations.RunSQL(
            "drop function app_private.change_facility_schedule("
            "uuid, integer, time, time, integer, integer, text, text, text, text, text, inet, text);",
            reverse_sql=migrations.RunSQL.noop,
        ),
        run_frozen_sql(__file__, reinstalls="0001_schedule_changes"),
    ]
