from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """The next free slot of each facility (app_private.next_free_slots, the facility grid's) comes
    from the engine, by the rules' own helpers for the window, a live booking and a clash
    (booking_window_end, has_live_booking, member_clash), which booking_refusals now calls too.
    Reversing reinstalls 0015's engine."""

    dependencies = [("bookings", "0015_check_in_window_from_models")]

    operations = [run_frozen_sql(__file__, reinstalls="0015_check_in_window_from_models")]
