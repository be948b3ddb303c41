"""Admin pages registered on top of the other apps:

- the club's organizations and branches: their pages are audited, and clubs, the bottom layer,
  imports no other app, so they are registered here rather than in clubs;
- staff users: Django's own page, with the club's list that ignores what of its address it
  cannot use (a date lookup beyond the calendar, NUL). Their API tokens are staff_auth's.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from audit.admin_mixins import ClubModelAdmin
from clubs import localtime
from clubs.admin_base import ClubChangeList
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


class ClubListMixin:
    def get_changelist(self, request, **kwargs):
        return ClubChangeList


admin.site.unregister(User)
admin.site.register(User, type(UserAdmin.__name__, (ClubListMixin, UserAdmin), {}))
