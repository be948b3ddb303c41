from django.db import migrations

from access.staff_groups import apply_staff_groups


class Migration(migrations.Migration):
    """Managers list the staff's two-factor devices and reset a lost phone's."""

    dependencies = [
        ("access", "0007_closures_and_reports_staff_groups"),
        ("two_factor", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(apply_staff_groups, migrations.RunPython.noop),
    ]
