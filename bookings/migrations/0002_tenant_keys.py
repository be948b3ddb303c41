from django.db import migrations

from clubs.tenancy import same_organization_as_parent


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [
        same_organization_as_parent("benefit_bookings", "slot_id", "benefit_slots"),
        same_organization_as_parent("benefit_bookings", "member_id", "members"),
        same_organization_as_parent("class_bookings", "class_id", "classes"),
        same_organization_as_parent("class_bookings", "member_id", "members"),
    ]
