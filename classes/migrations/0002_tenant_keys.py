from django.db import migrations

from clubs.tenancy import same_organization_as_parent


class Migration(migrations.Migration):
    dependencies = [("classes", "0001_initial")]

    operations = [
        same_organization_as_parent("classes", "branch_id", "branches"),
    ]
