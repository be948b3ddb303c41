from django.contrib import admin

from audit.admin_mixins import AuditedModelAdmin
from clubs.models import Branch, Organization


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Branch)
class BranchAdmin(AuditedModelAdmin):
    list_display = ["name", "organization", "time_zone", "is_active"]
    list_filter = ["is_active", "organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "address"]
