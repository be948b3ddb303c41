"""Staff users and their API tokens in the admin: Django's and DRF's own pages, with the club's
list that ignores what of its address it cannot use (a date lookup beyond the calendar, NUL)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from clubs.admin_base import ClubChangeList


class ClubListMixin:
    def get_changelist(self, request, **kwargs):
        return ClubChangeList


for model, model_admin in ((User, UserAdmin), (TokenProxy, TokenAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, type(model_admin.__name__, (ClubListMixin, model_admin), {}))
