"""Admin change forms write through here, so that a change made by hand in the admin (a
facility, its settings, a member) lands in the audit trail in the same transaction; and the base
of the club's admin pages (ClubModelAdmin), which lives here, above clubs, because it is audited."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from audit.models import AuditSource
from audit.services import Actor, audit_record
from clubs.admin_base import ClubAddressMixin, ClubRelationFieldsMixin

# How entities are named in the trail, where the model's own name would read badly.
ENTITY_NAMES = {
    "benefitsetting": "benefit_settings",
    "scheduledclass": "class",
    "benefitslot": "slot",
    "benefitbooking": "booking",
    "classbooking": "booking",
}


def entity_name(model: type[models.Model]) -> str:
    return ENTITY_NAMES.get(model._meta.model_name, model._meta.model_name)


def _value(value):
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, models.QuerySet):
        return sorted(str(item.pk) for item in value)
    return value


def _scope(obj: models.Model) -> dict:
    """Organization, member and branch of a row, for the trail's filters."""
    member_id = obj.pk if obj._meta.model_name == "member" else getattr(obj, "member_id", None)
    branch_id = next(
        (getattr(obj, name) for name in ("branch_id", "home_branch_id") if getattr(obj, name, None)),
        None,
    )
    if branch_id is None and getattr(obj, "facility_id", None):
        branch_id = obj.facility.branch_id
    if obj._meta.model_name == "branch":
        branch_id = obj.pk
    organization_id = obj.pk if obj._meta.model_name == "organization" else getattr(obj, "organization_id", None)
    return {"organization_id": organization_id, "member_id": member_id, "branch_id": branch_id}


def record_form_change(request, form, *, created: bool) -> None:
    """One entry for a saved model form: the fields it changed, before and after."""
    obj = form.instance
    fields = form.changed_data if not created else [name for name in form.cleaned_data if name != "DELETE"]
    if not fields and not created:
        return
    changes = {
        name: (None if created else _value(form.initial.get(name)), _value(form.cleaned_data.get(name)))
        for name in fields
        if name in form.cleaned_data and name not in ("id", "DELETE")
    }
    audit_record(
        action=f"{entity_name(type(obj))}.{'created' if created else 'updated'}",
        entity_type=entity_name(type(obj)),
        entity_id=obj.pk,
        source=AuditSource.ADMIN,
        actor=Actor.staff(request.user),
        changes=changes,
        **_scope(obj),
    )


def record_deletion(request, obj: models.Model) -> None:
    audit_record(
        action=f"{entity_name(type(obj))}.deleted",
        entity_type=entity_name(type(obj)),
        entity_id=obj.pk,
        source=AuditSource.ADMIN,
        actor=Actor.staff(request.user),
        old_values={"name": str(obj)},
        **_scope(obj),
    )


class AuditedModelAdmin(admin.ModelAdmin):
    """Records every save and delete made through this admin, inlines included. The admin runs
    each change form in one transaction, so the entry commits or rolls back with the change."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_form_change(request, form, created=not change)

    def delete_model(self, request, obj):
        record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record_deletion(request, obj)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        deleted = [f.instance for f in formset.deleted_forms if not f.instance._state.adding]
        changed = [
            (f, f.instance._state.adding)
            for f in formset.forms
            if f not in formset.deleted_forms and getattr(f, "cleaned_data", None) and f.has_changed()
        ]
        for obj in deleted:
            record_deletion(request, obj)  # before the delete, which forgets the key
        super().save_formset(request, form, formset, change)
        for inline_form, created in changed:
            record_form_change(request, inline_form, created=created)


class ClubModelAdmin(ClubAddressMixin, ClubRelationFieldsMixin, AuditedModelAdmin):
    """The base of the club's admin pages: audited, what a page cannot use of its address is
    ignored, and a hostile value in a relation field (an autocomplete field above all) is a form
    error: never a 500. An inline with `autocomplete_fields` takes
    `clubs.admin_base.ClubRelationFieldsMixin` too."""
