from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Schedule changes with a preview (schedule/sql/schedule_changes/): a facility's new capacity,
    hours or slot length and a timetable entry's new fields applied to the slots and classes already
    made, on what the generators want (facilities 0012, classes 0007). Reversing drops them."""

    initial = True

    dependencies = [
        ("facilities", "0012_slots_wanted"),
        ("classes", "0007_classes_wanted"),
        ("bookings", "0016_next_free_slots"),
        ("members", "0009_walk_ins_and_staff_notes"),
    ]

    operations = [run_frozen_sql(__file__)]
