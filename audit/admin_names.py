"""What the audit pages show instead of bare ids: the member, who acted, and the item an entry
concerns, each named and linked to its admin page while it exists; and the branch whose clock the
entry's times are read on. A page of entries is described in a fixed number of queries (one per
kind of thing on it), however many rows it has.

The trail copies names (the actor's label, a deleted row's name), so what no longer exists is
still shown by the name it was recorded under.

The trail names an item by its type and id, as a generic relation does, so the models are looked
up by label in Django's app registry when a page is described: the audit app imports none of the
apps it records (they all sit above it).
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.apps import apps
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.db.models import Model, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from audit.models import ActorType, AuditAction, AuditLog
from clubs.localtime import local_datetime
from clubs.models import Branch

MEMBER = "members.Member"


@dataclass(frozen=True)
class Name:
    """A readable name, and the admin page it links to (none when gone or not viewable)."""

    text: str
    url: str = ""

    def html(self) -> SafeString:
        return format_html('<a href="{}">{}</a>', self.url, self.text) if self.url else format_html("{}", self.text)


@dataclass(frozen=True)
class ItemKind:
    """How the trail's items of one model are read: their name, and the path to the branch they
    belong to (fetched along with them; "self" for a branch, "" for what belongs to none)."""

    model_label: str  # app_label.ModelName
    name: Callable[[Any], str]
    branch_path: str

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.model_label)

    def branch(self, row: Model) -> Branch | None:
        if self.branch_path == "self":
            return row
        return attrgetter(self.branch_path.replace("__", "."))(row) if self.branch_path else None

    @property
    def related(self) -> list[str]:
        return [self.branch_path] if self.branch_path not in ("", "self") else []


def _at(title: str, instant, branch: Branch) -> str:
    return f"{title}, {local_datetime(instant, branch)}"


def _slot_name(slot: Model) -> str:
    return _at(slot.facility.name, slot.starts_at, slot.facility.branch)


def _class_name(scheduled: Model) -> str:
    return _at(scheduled.title, scheduled.starts_at, scheduled.branch)


# Entity types as the trail records them (see audit.admin_mixins.ENTITY_NAMES and the SQL engine).
ITEM_KINDS: dict[str, tuple[ItemKind, ...]] = {
    "booking": (
        ItemKind("bookings.BenefitBooking", lambda booking: _slot_name(booking.slot), "slot__facility__branch"),
        ItemKind(
            "bookings.ClassBooking", lambda booking: _class_name(booking.scheduled_class), "scheduled_class__branch"
        ),
    ),
    "slot": (ItemKind("facilities.BenefitSlot", _slot_name, "facility__branch"),),
    "class": (ItemKind("classes.ScheduledClass", _class_name, "branch"),),
    "facility": (
        ItemKind("facilities.Facility", lambda facility: f"{facility.name} ({facility.branch.name})", "branch"),
    ),
    "benefit_settings": (
        ItemKind(
            "facilities.BenefitSetting",
            lambda settings: f"Booking settings of {settings.facility.name}",
            "facility__branch",
        ),
    ),
    "member": (ItemKind(MEMBER, str, "home_branch"),),
    "entitlement": (
        ItemKind(
            "members.Entitlement",
            lambda entitlement: f"{entitlement.member.full_name}: {entitlement}",
            "member__home_branch",
        ),
    ),
    "branch": (ItemKind("clubs.Branch", attrgetter("name"), "self"),),
    "organization": (ItemKind("clubs.Organization", attrgetter("name"), ""),),
}
RELATED = {kind.model_label: kind.related for kinds in ITEM_KINDS.values() for kind in kinds}


@dataclass(frozen=True)
class EntryNames:
    """One entry as a person reads it."""

    action: str
    kind: str
    branch: Branch | None
    zone: zoneinfo.ZoneInfo
    actor: Name
    member: Name | None
    item: Name | None

    @property
    def summary(self) -> str:
        """Capacity overridden: booking Cold plunge, Tue 1 Dec 2026, 18:00 EST"""
        return f"{self.action}: {self.kind.lower()} {self.item.text}" if self.item else self.action

    @property
    def clock(self) -> str:
        """Whose clock the entry's times are on."""
        if self.branch:
            return f"{self.branch.name} ({self.branch.time_zone})"
        return f"No branch: the installation’s zone ({self.zone.key})"

    def time(self, instant) -> str:
        return local_datetime(instant, self.zone)


def describe_entries(entries: Iterable[AuditLog], request, admin_site) -> list[AuditLog]:
    """The entries, each with `names` (an EntryNames)."""
    entries = list(entries)
    names = _PageNames(entries, request, admin_site)
    for entry in entries:
        entry.names = names.of(entry)
    return entries


def _uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


class _PageNames:
    """Everything a page of entries refers to, read in bulk: one query per model on the page,
    one for the staff users, and one for the names recorded of rows that are gone."""

    def __init__(self, entries: list[AuditLog], request, admin_site):
        self.request, self.admin_site = request, admin_site
        self.default_zone = timezone.get_default_timezone()
        self.member_model = apps.get_model(MEMBER)
        self._viewable: dict[type[Model], bool] = {}
        wanted: dict[type[Model], set[uuid.UUID]] = defaultdict(set)
        member_actors: set[uuid.UUID] = set()
        staff_ids: set[int] = set()
        for entry in entries:
            for kind in ITEM_KINDS.get(entry.entity_type, ()):
                if entity_id := _uuid(entry.entity_id):
                    wanted[kind.model].add(entity_id)
            if entry.member_id:
                wanted[self.member_model].add(entry.member_id)
            if entry.branch_id:
                wanted[Branch].add(entry.branch_id)
            if entry.actor_type == ActorType.MEMBER and (actor_id := _uuid(entry.actor_id)):
                member_actors.add(actor_id)
            if entry.actor_type == ActorType.STAFF and _is_user_id(entry.actor_id):
                staff_ids.add(int(entry.actor_id))
        wanted[self.member_model].update(member_actors)  # a member with no auth user acts under their own id
        self.rows = {model: self._fetch(model, ids, member_actors) for model, ids in wanted.items() if ids}
        self.users = get_user_model().objects.in_bulk(staff_ids) if staff_ids else {}
        self.recorded = self._recorded_names(entries)

    def _fetch(self, model: type[Model], ids: set, member_actors: set) -> dict:
        condition = Q(pk__in=ids)
        is_member = model is self.member_model
        if is_member and member_actors:  # members act under their auth user's id
            condition |= Q(auth_user_id__in=member_actors)
        rows = {}
        for row in model.objects.filter(condition).select_related(*RELATED.get(model._meta.label, ())):
            rows[row.pk] = row
            if is_member and row.auth_user_id:
                rows[row.auth_user_id] = row
        return rows

    def _row(self, model: type[Model], key) -> Model | None:
        return self.rows.get(model, {}).get(_uuid(key)) if key else None

    def _recorded_names(self, entries: list[AuditLog]) -> dict[str, str]:
        """The names deletion entries recorded, for the items and members this page cannot find."""
        missing = {
            entry.entity_id
            for entry in entries
            if entry.entity_type in ITEM_KINDS and entry.entity_id and self._item(entry) is None
        } | {
            str(entry.member_id)
            for entry in entries
            if entry.member_id and not self._row(self.member_model, entry.member_id)
        }
        if not missing:
            return {}
        deletions = AuditLog.objects.filter(entity_id__in=missing, action__endswith=".deleted")
        return {
            entity_id: old_values["name"]
            for entity_id, old_values in deletions.values_list("entity_id", "old_values")
            if isinstance(old_values, dict) and isinstance(old_values.get("name"), str)
        }

    def _item(self, entry: AuditLog) -> tuple[ItemKind, Model] | None:
        for kind in ITEM_KINDS.get(entry.entity_type, ()):
            if row := self._row(kind.model, entry.entity_id):
                return kind, row
        return None

    def _link(self, row: Model) -> str:
        model = type(row)
        if model not in self._viewable:
            model_admin = self.admin_site._registry.get(model)
            self._viewable[model] = bool(model_admin and model_admin.has_view_permission(self.request))
        if not self._viewable[model]:
            return ""
        opts = model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(row.pk)])

    def _named(self, row: Model, text: str) -> Name:
        return Name(text, self._link(row))

    def _gone(self, key: str, fallback: str) -> Name:
        recorded = self.recorded.get(key)
        return Name(f"{recorded} (deleted)" if recorded else f"{fallback} (no longer exists)")

    def of(self, entry: AuditLog) -> EntryNames:
        item, item_branch = self._item_name(entry)
        branch = self._row(Branch, entry.branch_id) or item_branch
        return EntryNames(
            action=AuditAction(entry.action).label if entry.action in AuditAction.values else entry.action,
            kind=capfirst(entry.entity_type.replace("_", " ")),
            branch=branch,
            zone=branch.zone if branch else self.default_zone,
            actor=self._actor_name(entry),
            member=self._member_name(entry),
            item=item,
        )

    def _item_name(self, entry: AuditLog) -> tuple[Name | None, Branch | None]:
        if entry.entity_type not in ITEM_KINDS:
            return (Name(entry.entity_id) if entry.entity_id else None), None
        if found := self._item(entry):
            kind, row = found
            return self._named(row, kind.name(row)), kind.branch(row)
        return (self._gone(entry.entity_id, entry.entity_id) if entry.entity_id else None), None

    def _member_name(self, entry: AuditLog) -> Name | None:
        if not entry.member_id:
            return None
        if member := self._row(self.member_model, entry.member_id):
            return self._named(member, str(member))
        return self._gone(str(entry.member_id), f"member {entry.member_id}")

    def _actor_name(self, entry: AuditLog) -> Name:
        label = entry.actor_label or entry.actor_id
        if entry.actor_type == ActorType.STAFF:
            user = self.users.get(int(entry.actor_id)) if _is_user_id(entry.actor_id) else None
            if user is None:
                return Name(f"{label} (user deleted)")
            full_name = user.get_full_name()
            return self._named(user, f"{full_name} ({user.get_username()})" if full_name else user.get_username())
        if entry.actor_type == ActorType.MEMBER:
            member = self._row(self.member_model, entry.actor_id)
            return self._named(member, str(member)) if member else Name(f"{label} (member app)")
        return Name(f"{label} (system)")


def _is_user_id(actor_id: str) -> bool:
    """Staff entries carry the user's id as text; only ASCII digits are one ("²" is a digit too)."""
    return actor_id.isascii() and actor_id.isdigit()
