from django.contrib import admin

from clubs.admin_base import ClubModelAdmin
from clubs.models import Branch, Organization


@admin.register(Organization)
class OrganizationAdmin(ClubModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Branch)
class BranchAdmin(ClubModelAdmin):
    list_display = ["name", "organization", "time_zone", "is_active"]
    list_filter = ["is_active", "organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "address"]
