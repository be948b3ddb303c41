from django.db import migrations, models

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """The booking engine on one relation of bookable items and one of their bookings
    (bookings/sql/engine/), its refusals from the rule registry, its locks through the lock
    registry (clubs 0004), the facility defaults from facilities 0008. booking_item returns a row of
    the relation now, so its previous definition goes first. Reversing reinstalls 0013's engine."""

    dependencies = [
        ('bookings', '0013_bookings_stay_put'),
        ('clubs', '0004_rules_and_locks'),
        ('facilities', '0009_slot_generation_rules_from_the_registry'),
    ]

    operations = [
        migrations.RunSQL(
            "drop function app_private.booking_item(text, uuid);",
            reverse_sql=migrations.RunSQL.noop,
        ),
        run_frozen_sql(__file__, reinstalls="0013_bookings_stay_put"),
        migrations.CreateModel(
            name='BookableItem',
            fields=[
                ('kind', models.CharField(max_length=5)),
                ('id', models.UUIDField(primary_key=True, serialize=False)),
                ('time_zone', models.CharField(max_length=64)),
                ('title', models.CharField(max_length=200)),
                ('instructor', models.CharField(max_length=200)),
                ('starts_at', models.DateTimeField()),
                ('ends_at', models.DateTimeField()),
                ('capacity', models.IntegerField()),
                ('places_taken', models.IntegerField()),
                ('closed_reason', models.TextField(null=True)),
                ('window_days', models.IntegerField(null=True)),
                ('cutoff_minutes', models.IntegerField()),
                ('benefit_kind', models.CharField(max_length=10)),
            ],
            options={
                'db_table': 'app_private"."bookable_items',
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='ItemBooking',
            fields=[
                ('kind', models.CharField(max_length=5)),
                ('id', models.UUIDField(primary_key=True, serialize=False)),
                ('status', models.CharField(choices=[('confirmed', 'Confirmed'), ('waitlisted', 'Waitlisted'), ('cancelled', 'Cancelled'), ('attended', 'Attended'), ('no_show', 'No-show')], max_length=12)),
                ('created_at', models.DateTimeField()),
                ('checked_in_at', models.DateTimeField(null=True)),
                ('capacity_override', models.BooleanField()),
                ('is_late_cancellation', models.BooleanField()),
                ('benefit_kind', models.CharField(max_length=10)),
                ('time_zone', models.CharField(max_length=64)),
                ('starts_at', models.DateTimeField()),
                ('ends_at', models.DateTimeField()),
                ('title', models.CharField(max_length=200)),
            ],
            options={
                'db_table': 'app_private"."item_bookings',
                'managed': False,
            },
        ),
    ]
