from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = settings.CLUB_NAME
admin.site.site_title = settings.CLUB_NAME
admin.site.index_title = "Front desk and management"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]
