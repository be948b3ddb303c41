"""The managers' reports in the admin: the `Report` model's pages are the reports themselves
(reports/pages.py), listed on the admin's index as "Reports" for whoever may read them."""

from django.contrib import admin

from reports import pages
from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    def get_urls(self):
        return pages.urls(self.admin_site)

    def has_module_permission(self, request) -> bool:
        return pages.may_read_reports(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return pages.may_read_reports(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
