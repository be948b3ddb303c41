from django.db import migrations

from access.staff_groups import apply_staff_groups


class Migration(migrations.Migration):
    """Managers keep the class timetable; the front desk reads it."""

    dependencies = [("access", "0005_desk_staff_groups"), ("classes", "0006_class_generation")]

    operations = [
        migrations.RunPython(apply_staff_groups, migrations.RunPython.noop),
    ]
