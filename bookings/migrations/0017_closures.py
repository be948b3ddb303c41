from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Closures in the engine: an item an open closure covers is closed (bookable_items' closed_reason,
    so every rule and list says why), a cancellation of a closed item is never late and promotes
    nobody, next_free_slots walks past a closure, and a closure's bookings are cancelled in one
    action (app_private.cancel_closure_bookings). Reversing reinstalls 0016's engine."""

    # its SQL reads the classes' room (classes 0005)
    dependencies = [
        ("bookings", "0016_next_free_slots"),
        ("facilities", "0011_closure_rules"),
        ("classes", "0005_timetable"),
    ]

    operations = [run_frozen_sql(__file__, reinstalls="0016_next_free_slots")]
