"""The OpenAPI contract: committed, current, and honoured by the API under generated input."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from hypothesis import HealthCheck, settings

from bookings.tests.conftest import tomorrow_at
from classes.tests.factories import ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from config.testing import requests_keep_the_test_connection
from facilities.tests.factories import BenefitSlotFactory, FacilityFactory
from members.tests.factories import MemberFactory
from members.tests.tokens import member_token
from staff_auth.tests.factories import api_key_for

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_the_committed_openapi_document_is_current():
    generated = OpenApiYamlRenderer().render(SchemaGenerator().get_schema(request=None, public=True)).decode()
    assert COMMITTED.read_text() == generated, "openapi.yaml is stale: run 'manage.py spectacular --file openapi.yaml'"


def test_the_schema_and_its_docs_page_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.hook
def map_query(context, query):
    """The audit export's period ends on or after its first day, a rule OpenAPI cannot state (the
    API refuses the other order with a 400: test_api_errors.py); days compare as strings."""
    if query and context.operation.path.endswith("/audit/export"):
        days = [query.get("start"), query.get("end")]
        if all(isinstance(day, str) for day in days):
            query["start"], query["end"] = sorted(days)
    return query


@pytest.fixture(params=["member", "manager"])
def caller_headers(request, db):
    """A member's token or a manager's API token: between them, every operation is allowed to one."""
    branch = BranchFactory(time_zone="Europe/London")
    facility = FacilityFactory(branch=branch)
    BenefitSlotFactory(facility=facility, starts_at=tomorrow_at(10), ends_at=tomorrow_at(10, 30))
    ScheduledClassFactory(branch=branch, starts_at=tomorrow_at(12), ends_at=tomorrow_at(13))
    member = MemberFactory(home_branch=branch, auth_user_id=uuid.uuid4())
    if request.param == "member":
        authorization = f"Bearer {member_token(member)}"
    else:
        authorization = f"Token {api_key_for(request.getfixturevalue('manager'))}"
    with requests_keep_the_test_connection():
        yield {"Authorization": authorization}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_input_makes_the_api_fail_or_break_its_schema(case, caller_headers):
    """A bounded run of every check Schemathesis has (no 5xx, documented statuses, media types,
    headers and bodies, invalid input refused, valid input accepted, …): generated requests, as
    a member and as a manager, against every operation."""
    case.call_and_validate(headers=caller_headers)
