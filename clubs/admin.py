from django.contrib import admin
from django.utils import formats

from audit.admin_mixins import AuditedModelAdmin
from clubs.models import Branch, Organization


def branch_local(moment, branch: Branch) -> str:
    """A time as the branch's clock shows it, which is what staff and members go by."""
    return formats.date_format(moment.astimezone(branch.zone), "D d M Y, H:i")


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
