from django.db import migrations

from access.staff_groups import apply_staff_groups


class Migration(migrations.Migration):
    """The front desk registers walk-ins and keeps staff notes on members."""

    dependencies = [
        ("access", "0004_auth_helpers_read_the_claims"),
        ("members", "0009_walk_ins_and_staff_notes"),
        ("desk", "0001_desk_pages"),
    ]

    operations = [
        migrations.RunPython(apply_staff_groups, migrations.RunPython.noop),
    ]
