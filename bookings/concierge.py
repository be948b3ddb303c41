"""The concierge flow: front-desk staff book on behalf of a member, inside the admin.

Four steps, each a page whose state lives in its query string, so Back and reload keep it:
1. find the member; 2. choose class or recovery facility, branch and day; 3. pick a slot or
class; 4. confirm (with a capacity override for staff who may). Booking itself is
`bookings.services.booking_create`, the same engine the API and the member app use.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from audit.models import AuditSource
from audit.services import Actor
from bookings.models import (
    OVERRIDE_NOTE_MAX_LENGTH,
    BenefitBooking,
    BookableItem,
    BookingChannel,
    BookingStatus,
    ClassBooking,
    ItemBooking,
    OverrideReason,
)
from bookings.selectors import (
    FacilityGrid,
    GridCell,
    GridColumn,
    GridRow,
    GridState,
    bookable_items,
    booking_refusals,
    entitlement_line,
    facility_grid,
)
from bookings.services import ADD_PERMISSIONS, OVERRIDE_PERMISSION, BookingKind, Override, booking_create
from clubs import localtime
from clubs.models import Branch
from config.errors import RuleViolation
from members.models import Member, MemberStatus
from members.selectors import member_search, search_text

BOOKING_MODELS = {BookingKind.SLOT: BenefitBooking, BookingKind.CLASS: ClassBooking}
STEPS = ["Member", "What and when", "Slot or class", "Confirm"]
# The days the flow shows: far enough for any real booking, near enough that no date arithmetic
# (a day's bounds in a branch's zone) can leave the calendar.
DAYS_SHOWN = datetime.timedelta(days=366)
ONE_DAY = datetime.timedelta(days=1)


class ShownDayField(forms.DateField):
    """A day the flow (and the facility grid) shows: within DAYS_SHOWN of today."""

    widget = forms.DateInput(attrs={"type": "date"})

    def validate(self, value) -> None:
        super().validate(value)
        today = timezone.now().date()
        first, last = today - DAYS_SHOWN, today + DAYS_SHOWN
        if value is not None and not first <= value <= last:
            raise forms.ValidationError(f"Choose a day between {first:%-d %b %Y} and {last:%-d %b %Y}.")


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(choices=BookingKind.choices, widget=forms.RadioSelect, initial=BookingKind.SLOT)
    branch = forms.ModelChoiceField(queryset=Branch.objects.filter(is_active=True).order_by("name"), empty_label=None)
    date = ShownDayField()

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        # the member's own organization only: another's items are not theirs to book
        self.fields["branch"].queryset = self.fields["branch"].queryset.filter(organization_id=member.organization_id)


class ConfirmForm(forms.Form):
    override = forms.BooleanField(required=False, label="Override capacity or entitlement")
    override_reason_code = forms.ChoiceField(
        choices=[("", "— choose a reason —"), *OverrideReason.choices], required=False, label="Reason"
    )
    override_note = forms.CharField(
        required=False,
        max_length=OVERRIDE_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note",
        help_text="Say why, for the record.",
    )

    def __init__(self, *args, may_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_override:
            for name in ("override", "override_reason_code", "override_note"):
                del self.fields[name]


class ConciergeFlow:
    """The flow's views, mounted by the bookings admin under /admin/bookings/new/."""

    def __init__(self, admin_site):
        self.admin_site = admin_site

    def urls(self):
        from django.urls import path

        view = self.admin_site.admin_view
        return [
            path("new/", view(self.find_member), name="bookings_concierge_member"),
            path("new/what/", view(self.choose_schedule), name="bookings_concierge_schedule"),
            path("new/pick/", view(self.pick_item), name="bookings_concierge_pick"),
            path("new/confirm/", view(self.confirm), name="bookings_concierge_confirm"),
            path("new/done/", view(self.done), name="bookings_concierge_done"),
        ]

    # Helpers

    def _require_booking_permission(self, request, kind: str | None = None) -> None:
        needed = [ADD_PERMISSIONS[kind]] if kind else list(ADD_PERMISSIONS.values())
        if not any(request.user.has_perm(permission) for permission in needed):
            raise PermissionDenied

    def _context(self, request, step: int, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": f"New booking: {STEPS[step - 1].lower()}",
            # The flow has the page to itself: the admin's list of every model is no help while booking.
            "is_nav_sidebar_enabled": False,
            "steps": STEPS,
            "step": step,
            **extra,
        }

    def _member(self, request) -> Member:
        member_id = _uuid(request.GET.get("member"))
        member = Member.objects.select_related("home_branch").filter(pk=member_id).first() if member_id else None
        if member is None:
            raise Http404("Choose a member first.")
        return member

    # Step 1: find the member

    def find_member(self, request):
        self._require_booking_permission(request)
        query = search_text(request.GET.get("q", ""))
        matches = member_search(query) if query else []
        # A slot chosen on the facility grid first: carried through the search, and choosing the
        # member goes straight to confirm it.
        item = self._carried_item(request)
        if item is None:
            carry, choose, item_when = [], f"{reverse('admin:bookings_concierge_schedule')}?member=", ""
        else:
            flags = {flag: "1" for flag in ("waitlist", "override") if request.GET.get(flag) == "1"}
            carry = [("kind", item.kind), ("item", item.pk), *flags.items()]
            day = localtime.at(item.starts_at, item.branch).date()
            state = {"kind": item.kind, "item": item.pk, "branch": item.branch_id, "date": day.isoformat()}
            choose = f"{admin_url('bookings_concierge_confirm', **state, **flags)}&member="
            item_when = localtime.local_range(item.starts_at, item.ends_at, item.branch)
        return TemplateResponse(
            request,
            "admin/bookings/concierge/member.html",
            self._context(
                request,
                1,
                query=query,
                matches=matches,
                searched=bool(query),
                item=item,
                item_when=item_when,
                waitlist=request.GET.get("waitlist") == "1",
                carry=carry,
                choose=choose,
            ),
        )

    def _carried_item(self, request) -> BookableItem | None:
        if not request.GET.get("item"):
            return None
        kind = request.GET.get("kind")
        if kind not in BookingKind.values:
            raise Http404("Choose a class or a recovery facility first.")
        self._require_booking_permission(request, kind)
        return _booked_item(kind, _uuid(request.GET.get("item")))

    # Step 2: class or facility, branch, day

    def choose_schedule(self, request):
        self._require_booking_permission(request)
        member = self._member(request)
        branch = member.home_branch
        initial = {
            "kind": request.GET.get("kind") or BookingKind.SLOT,
            "branch": request.GET.get("branch") or branch.pk,
            "date": request.GET.get("date") or localtime.local_today(branch),
        }
        form = ScheduleForm(initial=initial, member=member)
        return TemplateResponse(
            request,
            "admin/bookings/concierge/schedule.html",
            self._context(request, 2, member=member, form=form, back=admin_url("bookings_concierge_member")),
        )

    # Step 3: pick a slot or class

    def pick_item(self, request):
        self._require_booking_permission(request)  # before anything is looked up
        member = self._member(request)
        form = ScheduleForm(request.GET, member=member)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/bookings/concierge/schedule.html",
                self._context(request, 2, member=member, form=form, back=admin_url("bookings_concierge_member")),
            )
        kind, branch, day = form.cleaned_data["kind"], form.cleaned_data["branch"], form.cleaned_data["date"]
        self._require_booking_permission(request, kind)
        state = {"member": member.pk, "kind": kind, "branch": branch.pk, "date": day.isoformat()}
        now = timezone.now()
        # What is over is history: hidden unless asked for, so the day starts at what can be booked.
        show_over = request.GET.get("over") == "1"
        common = {
            "member": member,
            "kind_label": BookingKind(kind).label,
            "branch": branch,
            "day": day,
            "zone_label": localtime.day_label(day, branch),
            "toggle_over": admin_url("bookings_concierge_pick", **state, over="" if show_over else "1"),
            "show_over": show_over,
            "future_day": day >= localtime.local_today(branch),
            "member_bookable": member.status == MemberStatus.ACTIVE,
            "back": admin_url("bookings_concierge_schedule", **state),
            "other_day": [
                (label, admin_url("bookings_concierge_pick", **{**state, "date": (day + delta).isoformat()}))
                for label, delta in (("Previous day", -ONE_DAY), ("Next day", ONE_DAY))
            ],
        }
        if kind == BookingKind.SLOT:
            # Recovery slots as the facility grid: a column per facility, a row per start time.
            grid = facility_grid(branch=branch, day=day, now=now, member_id=member.pk)
            first = grid.any_item_id
            return TemplateResponse(
                request,
                "admin/bookings/concierge/pick.html",
                self._context(
                    request,
                    3,
                    **common,
                    table=grid_table(
                        grid,
                        branch=branch,
                        member_id=member.pk,
                        bookable=member.status == MemberStatus.ACTIVE,
                        may_override=request.user.has_perm(OVERRIDE_PERMISSION),
                        show_over=show_over,
                    ),
                    over=grid.over,
                    entitlement=entitlement_line(kind=kind, item_id=first, member_id=member.pk) if first else "",
                ),
            )
        schedule = bookable_items(
            kind=kind, branch_id=branch.pk, time_zone=branch.time_zone, day=day, member_id=member.pk
        )
        over = sum(1 for item in schedule.items if item.ends_at <= now)
        # On the days clocks change one reading can happen twice: then each time says which.
        labelled = len({localtime.zone_label(localtime.at(item.starts_at, branch)) for item in schedule.items}) > 1
        rows = [
            {
                "item": item,
                "time": localtime.time_range(item.starts_at, item.ends_at, branch, labelled=labelled),
                "over": item.ends_at <= now,
                "started": item.starts_at <= now,
                "choose": admin_url("bookings_concierge_confirm", **state, item=item.id),
                "waitlist": admin_url("bookings_concierge_confirm", **state, item=item.id, waitlist=1),
                "override": admin_url("bookings_concierge_confirm", **state, item=item.id, override=1),
            }
            for item in schedule.items
            if show_over or item.ends_at > now
        ]
        return TemplateResponse(
            request,
            "admin/bookings/concierge/pick.html",
            self._context(request, 3, **common, rows=rows, over=over, entitlement=schedule.entitlement),
        )

    # Step 4: confirm

    def confirm(self, request):
        self._require_booking_permission(request)  # before anything is looked up
        member = self._member(request)
        kind = request.GET.get("kind")
        if kind not in BookingKind.values:
            raise Http404("Choose a class or a recovery facility first.")
        self._require_booking_permission(request, kind)
        item = _booked_item(kind, _uuid(request.GET.get("item")))
        waitlist = request.GET.get("waitlist") == "1"
        may_override = request.user.has_perm(OVERRIDE_PERMISSION)
        form = ConfirmForm(request.POST if request.method == "POST" else None, may_override=may_override)
        refusal = None
        if request.method == "POST" and form.is_valid():
            override = None
            if form.cleaned_data.get("override"):
                override = Override(form.cleaned_data["override_reason_code"], form.cleaned_data["override_note"])
            try:
                outcome = booking_create(
                    kind=kind,
                    item_id=item.pk,
                    member_id=member.pk,
                    actor=Actor.staff(request.user),
                    channel=BookingChannel.CONCIERGE,
                    source=AuditSource.ADMIN,
                    booked_by=request.user,
                    override=override,
                    join_waitlist=waitlist,
                )
            except RuleViolation as error:
                # A second submit of the same confirm (a double click, a reload) finds the booking the
                # first made: that booking is the answer, not an error.
                booked = _live_booking(kind, item.pk, member.pk) if error.code == "already_booked" else None
                if booked is None:
                    refusal = error
                else:
                    return _done_redirect(kind, booked, member.pk)
            else:
                return _done_redirect(kind, outcome.booking_id, member.pk)
        branch = item.branch
        refusals = booking_refusals(kind=kind, item_id=item.pk, member_id=member.pk)
        verdict = booking_verdict(refusals, waitlist=waitlist, may_override=may_override)
        if not form.is_bound and request.GET.get("override") == "1" and verdict.needs_override:
            # "Override…" chosen on the grid or the list: the box ticked, the reason next to give.
            form.initial["override"] = True
            form.fields["override_reason_code"].widget.attrs["autofocus"] = True
        if refusal is not None:
            # Each reason is said once: one already in the list of reasons is not repeated.
            listed = refusal.code in {reason.code for reason in refusals}
            form.add_error(None, verdict.not_booked if listed else refusal.message)
        state = {"member": member.pk, "kind": kind, "branch": branch.pk,
                 "date": localtime.at(item.starts_at, branch).date().isoformat()}  # fmt: skip
        return TemplateResponse(
            request,
            "admin/bookings/concierge/confirm.html",
            self._context(
                request,
                4,
                member=member,
                item=item,
                title_of_item=item.title,
                when=localtime.local_range(item.starts_at, item.ends_at, branch),
                branch=branch,
                kind_label=BookingKind(kind).label,
                waitlist=waitlist,
                refusals=refusals,
                verdict=verdict,
                waitlist_instead=admin_url("bookings_concierge_confirm", **state, item=item.pk, waitlist=1),
                form=form,
                may_override=may_override,
                back=admin_url("bookings_concierge_pick", **state),
            ),
        )

    def done(self, request):
        kind = request.GET.get("kind")
        if kind not in BookingKind.values:
            raise Http404
        self._require_booking_permission(request, kind)
        model = BOOKING_MODELS[kind]
        booking = model.objects.select_related("member").filter(pk=_uuid(request.GET.get("booking"))).first()
        if booking is None:
            raise Http404
        item = _booked_item(kind, booking.item_id)
        branch = item.branch
        waitlisted = booking.status == BookingStatus.WAITLISTED
        return TemplateResponse(
            request,
            "admin/bookings/concierge/done.html",
            self._context(
                request,
                4,
                title="On the waitlist" if waitlisted else "Booked",
                booking=booking,
                title_of_item=item.title,
                when=localtime.local_range(item.starts_at, item.ends_at, branch),
                branch=branch,
                booking_url=reverse(f"admin:bookings_{model._meta.model_name}_change", args=[booking.pk]),
                another=admin_url("bookings_concierge_schedule", member=booking.member_id),
            ),
        )


def admin_url(name: str, **params) -> str:
    """An admin page's address with its state in the query string (empty values left out): the
    flow's steps, the facility grid."""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{reverse(f'admin:{name}')}?{query}"


@dataclass(frozen=True)
class GridTable:
    """The facility grid as its template (admin/bookings/grid_table.html) places it: each column with
    the link to its next free place, and the rows shown with their cells as HTML already. A busy
    day has hundreds of cells; the template language rendering them one by one took longer than
    all the rest of the page."""

    grid: FacilityGrid
    columns: list[tuple[GridColumn, str]]  # each column with the link to its next free place, or ""
    rows: list[tuple[GridRow, SafeString]]  # the rows shown (those over only when asked for)
    bookable: bool  # cells are links


def grid_table(
    grid: FacilityGrid,
    *,
    branch: Branch,
    member_id: uuid.UUID | None,
    bookable: bool,
    may_override: bool,
    show_over: bool,
) -> GridTable:
    """A cell leads to confirm for a chosen member, else to step 1 carrying the slot, so that
    choosing the member lands on confirm; a full one to its waitlist (and, for a manager, to an
    override). Links only when `bookable`: for staff who may book a member who may be booked."""

    def link(day: datetime.date = grid.day, **params) -> str:
        if member_id is None:
            return admin_url("bookings_concierge_member", kind=BookingKind.SLOT, **params)
        return admin_url(
            "bookings_concierge_confirm",
            member=member_id,
            kind=BookingKind.SLOT,
            branch=branch.pk,
            date=day.isoformat(),
            **params,
        )

    # each cell adds its slot's id
    book, waitlist, override = f"{link()}&item=", f"{link(waitlist=1)}&item=", f"{link(override=1)}&item="

    def cell_html(cell: GridCell | None) -> SafeString:
        if cell is None:
            return EMPTY_CELL
        state = format_html(
            '<{tag} class="grid-state">{}</{tag}>', cell.text, tag="strong" if cell.state == GridState.FULL else "span"
        )
        # the engine would refuse it as overlapping: said, not offered
        clashes = bool(cell.clash) and cell.state in (GridState.FREE, GridState.FULL)
        if cell.member_status:
            inside = format_html(
                '<span class="grid-state">Already booked</span> <span class="grid-why">({})</span>', cell.member_status
            )
        elif clashes:
            inside = format_html(
                '<span class="grid-state">Clashes with</span> <span class="grid-why">{}</span>', cell.clash
            )
        elif bookable and cell.state == GridState.FREE:
            inside = format_html(
                '<a class="grid-book" href="{}{}" aria-label="Book {}">{}</a>',
                book,
                cell.item_id,
                cell.label,
                cell.text,
            )
        elif bookable and cell.state == GridState.FULL:
            inside = state + format_html(
                ' <a class="grid-waitlist" href="{}{}" aria-label="Join the waitlist for {}">Join waitlist</a>',
                waitlist,
                cell.item_id,
                cell.label,
            )
            if may_override:
                inside += format_html(
                    ' <a class="grid-override" href="{}{}" aria-label="Override capacity for {}">Override…</a>',
                    override,
                    cell.item_id,
                    cell.label,
                )
        elif cell.state == GridState.CLOSED:
            inside = state + format_html(' <span class="grid-why">{}</span>', cell.closed_reason)
        else:
            inside = state
        theirs = " cell-theirs" if cell.member_status else " cell-clash" if clashes else ""
        return format_html('<td class="grid-cell cell-{}{}" title="{}">{}</td>', cell.state, theirs, cell.label, inside)

    return GridTable(
        grid=grid,
        columns=[
            (column, link(column.next_free.day, item=column.next_free.item_id) if column.next_free else "")
            for column in grid.columns
        ],
        # each piece escaped by format_html: the row joins them
        rows=[
            (row, mark_safe("".join(cell_html(cell) for cell in row.cells)))
            for row in grid.rows
            if show_over or not row.is_over
        ],
        bookable=bookable,
    )


EMPTY_CELL = mark_safe('<td class="grid-cell cell-none"></td>')


@dataclass(frozen=True)
class Verdict:
    """What the confirm step can do, given every reason the engine would refuse."""

    can_book: bool  # the Book button can succeed (an override may be needed)
    needs_override: bool  # only a manager's override can make it succeed
    waitlist_instead: bool  # full, and nothing else: the waitlist is open

    @property
    def not_booked(self) -> str:
        if self.needs_override:
            return "Not booked: to set the reasons above aside, tick “Override capacity or entitlement” and say why."
        return "Not booked, for the reasons above."


def booking_verdict(refusals, *, waitlist: bool, may_override: bool) -> Verdict:
    codes = {refusal.code for refusal in refusals}
    blocked = any(not refusal.overridable for refusal in refusals)
    overridable = any(refusal.overridable for refusal in refusals)
    waitlist_takes_it = codes == {"full"}
    needs_override = overridable and not (waitlist and waitlist_takes_it)
    return Verdict(
        can_book=not blocked and (not needs_override or may_override),
        needs_override=needs_override and may_override and not blocked,
        waitlist_instead=waitlist_takes_it and not waitlist,
    )


def _live_booking(kind: str, item_id: uuid.UUID, member_id: uuid.UUID) -> uuid.UUID | None:
    """The member's booking of the item that is not cancelled (the engine allows one), if any."""
    live = ItemBooking.objects.filter(kind=kind, item_id=item_id, member_id=member_id)
    return live.exclude(status=BookingStatus.CANCELLED).values_list("pk", flat=True).first()


def _done_redirect(kind: str, booking_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponseRedirect:
    return HttpResponseRedirect(admin_url("bookings_concierge_done", kind=kind, booking=booking_id, member=member_id))


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _booked_item(kind: str, item_id: uuid.UUID | None) -> BookableItem:
    item = BookableItem.objects.select_related("branch").filter(kind=kind, pk=item_id).first()
    if item is None:
        raise Http404("That slot or class does not exist.")
    return item
