"""The front desk's pages, mounted under /admin/desk/today/ by the admin of the `Today` proxy:
Today (the staff home), rosters, the facility grid, member profiles, the header's member search
and the one-click booking actions. Each page module gives its own `urls(admin_site)`."""

from django.contrib import admin
from django.urls import path

from desk import actions, grid, member_page, roster, search, today, walk_in
from desk.access import may_use_desk
from desk.models import Today


@admin.register(Today)
class DeskAdmin(admin.ModelAdmin):
    def get_urls(self):
        return [
            # the name the admin's index links a model by: Today is this model's page
            path("", self.admin_site.admin_view(today.today), name="desk_today_changelist"),
            *today.urls(self.admin_site),
            *roster.urls(self.admin_site),
            *grid.urls(self.admin_site),
            *member_page.urls(self.admin_site),
            *search.urls(self.admin_site),
            *walk_in.urls(self.admin_site),
            *actions.urls(self.admin_site),
        ]

    # The index lists "Today at the desk" for everyone who may use the desk; its link is Today.
    def has_module_permission(self, request) -> bool:
        return may_use_desk(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return may_use_desk(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
