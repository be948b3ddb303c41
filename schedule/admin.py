"""The managers' schedule pages: closures (their list, a new closure, one closure with the bookings
it affects) and schedule changes with a preview, mounted by the closures' admin."""

from django.contrib import admin

from facilities.models import Closure
from schedule import changes


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    def get_urls(self):
        return [*changes.urls(self.admin_site), *super().get_urls()]
