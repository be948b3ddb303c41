"""Registering a walk-in at the desk: the header search found nobody, so the person at the
counter becomes a member with a few fields, then goes on to booking. Needs the permission
members.add_walk_in (the front desk's); the service records it in the audit trail."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from audit.services import Actor
from clubs.models import Branch
from desk.access import desk_branch, desk_branches, may_book, require_desk
from desk.pages import render_page
from members.models import Member
from members.services import member_register_walk_in

WALK_IN_PERMISSION = "members.add_walk_in"
PHONE_DIGITS_AT_LEAST = 6  # as members.models.PHONE_PATTERN


class WalkInForm(forms.ModelForm):
    home_branch = forms.ModelChoiceField(queryset=Branch.objects.none(), empty_label=None, label="Branch")

    class Meta:
        model = Member
        fields = ["first_name", "last_name", "phone", "email", "home_branch"]
        help_texts = {"phone": "A phone number or an email, so the club can reach them."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_branch"].queryset = desk_branches()
        self.fields["first_name"].widget.attrs["autofocus"] = True


def _initial(searched: str) -> dict:
    """What the header search had, where it belongs: a phone number, an email, or a name."""
    searched = searched.strip()
    if "@" in searched:
        return {"email": searched}
    if sum(character.isdigit() for character in searched) >= PHONE_DIGITS_AT_LEAST:
        return {"phone": searched}
    first, _, last = searched.partition(" ")
    return {"first_name": first, "last_name": last.strip()}


def walk_in(request):
    require_desk(request)
    if not request.user.has_perm(WALK_IN_PERMISSION):
        raise PermissionDenied
    branch = desk_branch(request)
    if request.method == "POST":
        form = WalkInForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                member = member_register_walk_in(
                    branch=data["home_branch"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    phone=data["phone"],
                    email=data["email"],
                    actor=Actor.staff(request.user),
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                if request.POST.get("then") == "book" and may_book(request.user):
                    following = reverse("admin:bookings_concierge_schedule") + "?" + urlencode({"member": member.pk})
                else:
                    following = reverse("admin:desk_member", args=[member.pk])
                return HttpResponseRedirect(following)
    else:
        searched = request.GET.get("name", "").replace("\x00", "")[:200]
        form = WalkInForm(initial={**_initial(searched), "home_branch": branch})
    return render_page(
        request,
        "admin/desk/walk_in.html",
        title="Register a walk-in",
        form=form,
        may_book=may_book(request.user),
    )


def urls(admin_site) -> list:
    return [path("walk-in/", admin_site.admin_view(walk_in), name="desk_walk_in")]
