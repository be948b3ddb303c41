from django.db import migrations

from access.staff_groups import apply_staff_groups


class Migration(migrations.Migration):
    """Managers list failed sign-ins and unlock them, and make, list and revoke API tokens."""

    dependencies = [
        ("access", "0007_closures_and_reports_staff_groups"),
        ("staff_auth", "0002_plain_tokens_kept_hashed"),
    ]

    operations = [
        migrations.RunPython(apply_staff_groups, migrations.RunPython.noop),
    ]
