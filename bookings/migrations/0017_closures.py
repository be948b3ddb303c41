from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Closures in the engine: an item an open closure covers is closed (bookable_items' closed_reason,
    so every rule and list says why), a cancellation of a closed item is never late and promotes
    nobody, next_free_slots walks past a closure, and a closure's bookings are cancelled in one
    action (app_private.cancel_closure_bookings). Reversing reinstalls 0016's engine."""

    dependencies = [("bookings", "0016_next_free_slots"), ("facilities", "0011_closure_rules")]

    operations = [run_frozen_sql(__file__, reinstalls="0016_next_free_slots")]
