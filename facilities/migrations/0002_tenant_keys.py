from django.db import migrations

from clubs.tenancy import same_organization_as_parent


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]

    operations = [
        same_organization_as_parent("facilities", "branch_id", "branches"),
        same_organization_as_parent("benefit_settings", "facility_id", "facilities"),
        same_organization_as_parent("benefit_slots", "facility_id", "facilities"),
    ]
