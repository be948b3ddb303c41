from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """The hour before the start from which check-in opens is a constant of bookings/models.py
    (CHECK_IN_OPENS_MINUTES_BEFORE, generated into the engine), which the desk reads too.
    Reversing reinstalls 0014's engine."""

    dependencies = [("bookings", "0014_bookable_items")]

    operations = [run_frozen_sql(__file__, reinstalls="0014_bookable_items")]
