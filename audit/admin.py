from django.contrib import admin

from audit.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the services, never edited by hand."""

    list_display = ["occurred_at", "actor_label", "action", "entity_type", "entity_id", "source", "reason"]
    list_filter = ["source", "actor_type"]
    date_hierarchy = "occurred_at"
    search_fields = ["entity_id", "actor_label", "action"]
    list_select_related = ["organization"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
