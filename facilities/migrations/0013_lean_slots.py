import django.db.models.deletion
from django.db import migrations, models

import clubs.models
from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Slots written at the cost of their rules alone: time-ordered keys (clubs 0007), no second
    check of the facility or the organization beside the composite tenant key, no index on the
    organization beside (organization, starts_at), no "capacity >= 0" beside "capacity > 0"; the
    generator makes the wanted slots once (each slot's instant once), with keys from one batch.
    Reversing reinstalls 0012's generator."""

    dependencies = [("clubs", "0007_uuid_v7"), ("facilities", "0012_slots_wanted")]

    operations = [
        migrations.AlterField(
            model_name="benefitslot",
            name="id",
            field=models.UUIDField(
                db_default=clubs.models.TimeOrderedUUID(), editable=False, primary_key=True, serialize=False
            ),
        ),
        migrations.AlterField(
            model_name="benefitslot",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="clubs.organization",
            ),  # fmt: skip
        ),
        migrations.AlterField(
            model_name="benefitslot",
            name="facility",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="slots",
                to="facilities.facility",
            ),  # fmt: skip
        ),
        migrations.AlterField(model_name="benefitslot", name="capacity", field=models.SmallIntegerField()),
        run_frozen_sql(__file__, reinstalls="0012_slots_wanted"),
    ]
