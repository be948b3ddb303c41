from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from audit.api import AuditExport
from bookings.api import (
    CancelMyBooking,
    ClassList,
    MyBookings,
    SlotList,
    StaffBookings,
    StaffCheckIn,
    StaffMemberSearch,
)
from facilities.api import FacilityList, SlotGeneration
from members.api import MyEntitlements

admin.site.site_header = settings.CLUB_NAME
admin.site.site_title = settings.CLUB_NAME
admin.site.index_title = "Front desk and management"

api_v1 = [
    path("facilities", FacilityList.as_view(), name="facilities"),
    path("slots", SlotList.as_view(), name="slots"),
    path("slots/generate", SlotGeneration.as_view(), name="slot-generation"),
    path("classes", ClassList.as_view(), name="classes"),
    path("bookings", MyBookings.as_view(), name="bookings"),
    path("bookings/<uuid:booking_id>/cancel", CancelMyBooking.as_view(), name="booking-cancel"),
    path("entitlements", MyEntitlements.as_view(), name="entitlements"),
    path("staff/members", StaffMemberSearch.as_view(), name="staff-members"),
    path("staff/bookings", StaffBookings.as_view(), name="staff-bookings"),
    path("staff/bookings/<uuid:booking_id>/check-in", StaffCheckIn.as_view(), name="staff-check-in"),
    path("staff/audit/export", AuditExport.as_view(), name="staff-audit-export"),
]

# JSON under /api/, Django's own pages elsewhere
handler400 = "config.api.bad_request"
handler404 = "config.api.page_not_found"
handler500 = "config.api.server_error"
handler403 = "config.views.permission_denied"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
