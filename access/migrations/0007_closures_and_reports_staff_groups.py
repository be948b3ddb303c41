from django.db import migrations

from access.staff_groups import apply_staff_groups


class Migration(migrations.Migration):
    """Managers make and reopen closures and read the reports; the front desk sees closures."""

    dependencies = [
        ("access", "0006_class_timetable_staff_groups"),
        ("facilities", "0010_closures"),
        ("reports", "0001_report_pages"),
    ]

    operations = [
        migrations.RunPython(apply_staff_groups, migrations.RunPython.noop),
    ]
