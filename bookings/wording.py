"""What staff are told when a booking changes, in one wording wherever it changed: the bookings
admin's actions (bookings/admin.py) and the desk's buttons (desk/actions.py)."""

from __future__ import annotations


def moved_up_from_the_waitlist(promoted: str, item: str, in_place_of: str) -> str:
    """Who has the place a cancellation freed: "Wendy Waits moved up from the waitlist to Sauna
    (Riverside), Tue 1 Dec 2026, 18:00–18:30 GMT in Ben Adams's place." `item` as the page
    writes its items, on the branch's clock."""
    return f"{promoted} moved up from the waitlist to {item} in {in_place_of}'s place."
