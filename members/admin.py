from django.contrib import admin

from audit.admin_mixins import ClubModelAdmin
from clubs.admin_time import BranchTimeMixin
from members.models import Entitlement, Member
from members.selectors import staff_search


class EntitlementInline(admin.TabularInline):
    model = Entitlement
    extra = 0


@admin.register(Member)
class MemberAdmin(BranchTimeMixin, ClubModelAdmin):
    list_display = ["member_number", "full_name", "email", "phone", "status", "home_branch"]
    list_display_links = ["member_number", "full_name"]
    list_filter = ["status", "home_branch"]
    list_select_related = ["home_branch"]
    search_fields = ["member_number", "first_name", "last_name", "email", "phone"]
    ordering = ["last_name", "first_name"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["member_number", "first_name", "last_name", "status", "home_branch"]}),
        ("Contact", {"fields": ["email", "phone"]}),
        ("Member app", {"fields": ["auth_user_id"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [EntitlementInline]
    branch_field = "home_branch"  # the member's page is on their home branch's clock

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= queryset.filter(pk__in=staff_search(search_term))
        return results, may_have_duplicates

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, member: Member) -> str:
        return member.full_name


@admin.register(Entitlement)
class EntitlementAdmin(ClubModelAdmin):
    list_display = ["member", "benefit_kind", "quota", "period"]
    list_filter = ["benefit_kind", "period"]
    list_select_related = ["member"]
    search_fields = ["member__member_number", "member__first_name", "member__last_name"]
    autocomplete_fields = ["member"]
