"""The request details an audit entry carries: only what reads as an address is an address."""

import pytest
from django.test import RequestFactory, override_settings

from audit.context import request_context_from


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("198.51.100.7, 203.0.113.9", "203.0.113.9"),  # what the client wrote before the proxy's is not used
        ("2001:db8::1", "2001:db8::1"),
        ("garbage", "192.0.2.1"),
        ("", "192.0.2.1"),
        ("'; drop table audit_logs; --", "192.0.2.1"),
        ("9" * 5000, "192.0.2.1"),
    ],
)
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_the_address_the_proxy_wrote_is_used_only_when_it_is_one(forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert request_context_from(request).ip_address == expected


def test_a_user_agent_loses_what_text_cannot_hold():
    request = RequestFactory().get("/", HTTP_USER_AGENT="Kiosk\x00/1.0" + "x" * 600)
    user_agent = request_context_from(request).user_agent
    assert "\x00" not in user_agent and user_agent.startswith("Kiosk/1.0") and len(user_agent) == 500


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_booking_behind_a_proxy_that_forwards_nonsense_is_still_made(manager_client):
    from facilities.tests.factories import BenefitSlotFactory
    from members.tests.factories import MemberFactory

    slot = BenefitSlotFactory()
    member = MemberFactory(home_branch=slot.facility.branch)
    response = manager_client.post(
        "/api/v1/staff/bookings",
        {"kind": "slot", "item": str(slot.pk), "member": str(member.pk)},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="garbage",
    )
    assert response.status_code == 201, response.content
