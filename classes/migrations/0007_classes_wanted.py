from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """What the timetable wants, one function (app_private.timetable_classes_wanted) that class
    generation and schedule changes share; generation takes the branch's lock, as slot generation
    and schedule changes do. Reversing drops it and reinstalls 0006's generator."""

    dependencies = [("classes", "0006_class_generation")]

    operations = [run_frozen_sql(__file__, reinstalls="0006_class_generation")]
