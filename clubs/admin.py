from django.conf import settings
from django.contrib import admin

from clubs import localtime
from clubs.admin_base import ClubModelAdmin
from clubs.models import Branch, Organization


@admin.register(Organization)
class OrganizationAdmin(ClubModelAdmin):
    list_display = ["name", "slug", "created"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="Created", ordering="created_at")
    def created(self, organization: Organization) -> str:
        # An organization has no branch of its own: the installation's clock, labelled.
        return localtime.local_datetime(organization.created_at, settings.TIME_ZONE)


@admin.register(Branch)
class BranchAdmin(ClubModelAdmin):
    list_display = ["name", "organization", "time_zone", "is_active"]
    list_filter = ["is_active", "organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "address"]
