from django.db import migrations

from clubs.tenancy import same_organization_as_parent


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [
        same_organization_as_parent("members", "home_branch_id", "branches"),
        same_organization_as_parent("entitlements", "member_id", "members"),
    ]
