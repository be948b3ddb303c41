"""Reads the API and the admin share: which table holds a booking."""

import uuid

from audit.services import Actor
from bookings.selectors import booking_kind
from bookings.services import booking_create


def _book(club, kind: str, item_id: uuid.UUID) -> uuid.UUID:
    outcome = booking_create(kind=kind, item_id=item_id, member_id=club.member.pk, actor=Actor.system("t"),
                             channel="concierge", source="command")  # fmt: skip
    return outcome.booking_id


def test_booking_kind_names_the_table_that_holds_the_booking(club):
    assert booking_kind(booking_id=_book(club, "slot", club.slot.pk)) == "slot"
    assert booking_kind(booking_id=_book(club, "class", club.scheduled_class.pk)) == "class"


def test_an_unknown_booking_has_no_kind(club):
    assert booking_kind(booking_id=uuid.uuid4()) is None
