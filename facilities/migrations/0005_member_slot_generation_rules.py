from django.db import migrations

from config.sql import run_sql_file


class Migration(migrations.Migration):
    """Member-triggered slot generation asks the database role who calls, stays inside the branch's
    booking window and refuses frozen and cancelled members (facilities/sql/slot_generation_v2.sql);
    reversed by reinstalling slot_generation.sql."""

    dependencies = [
        ("facilities", "0004_plain_words_rules"),
    ]

    operations = [
        run_sql_file("facilities", "slot_generation_v2.sql", reverse_filename="slot_generation.sql"),
    ]
