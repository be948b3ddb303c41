"""The project's admin site: Django's, except that front-desk staff open it on Today."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse


class ClubAdminSite(admin.AdminSite):
    def index(self, request, extra_context=None):
        from desk.access import lands_on_today

        # `?all=1` is the link from the desk to every admin page.
        if lands_on_today(request.user) and "all" not in request.GET:
            return HttpResponseRedirect(reverse("admin:desk_today"))
        return super().index(request, extra_context)
