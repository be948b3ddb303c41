from django.db import migrations

from access.staff_groups import apply_staff_groups


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_supabase_compat"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("clubs", "0002_branch_time_zone_check"),
        ("members", "0002_tenant_keys"),
        ("facilities", "0002_tenant_keys"),
        ("classes", "0002_tenant_keys"),
        ("bookings", "0002_tenant_keys"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(apply_staff_groups, migrations.RunPython.noop),
    ]
