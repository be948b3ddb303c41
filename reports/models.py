"""The managers' reports hang off this name in the admin (/admin/reports/report/): a report reads
the bookable items and their bookings. No table of its own; `view_report` is the managers'."""

from bookings.models import BookableItem


class Report(BookableItem):
    class Meta:
        proxy = True
        verbose_name = "report"
        verbose_name_plural = "reports"
        default_permissions = ("view",)
