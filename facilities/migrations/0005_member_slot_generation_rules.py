from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Member-triggered slot generation asks the database role who calls, stays inside the branch's
    booking window and refuses frozen and cancelled members (migrations/sql/0005_member_slot_generation_rules.sql);
    reversed by reinstalling the slot generation of facilities 0003."""

    dependencies = [
        ("facilities", "0004_plain_words_rules"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
