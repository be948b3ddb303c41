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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from bookings.tests.conftest import tomorrow_at
from classes.tests.factories import ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from config.testing import requests_keep_the_test_connection
from facilities.tests.factories import BenefitSlotFactory, FacilityFactory
from members.tests.factories import MemberFactory
from members.tests.tokens import member_token

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_the_committed_openapi_document_is_current():
    generated = OpenApiYamlRenderer().render(SchemaGenerator().get_schema(request=None, public=True)).decode()
    assert COMMITTED.read_text() == generated, "openapi.yaml is stale: run 'manage.py spectacular --file openapi.yaml'"


def test_the_schema_and_its_docs_page_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def member_headers(db):
    branch = BranchFactory(time_zone="Europe/London")
    facility = FacilityFactory(branch=branch)
    BenefitSlotFactory(facility=facility, starts_at=tomorrow_at(10), ends_at=tomorrow_at(10, 30))
    ScheduledClassFactory(branch=branch, starts_at=tomorrow_at(12), ends_at=tomorrow_at(13))
    member = MemberFactory(home_branch=branch, auth_user_id=uuid.uuid4())
    with requests_keep_the_test_connection():
        yield {"Authorization": f"Bearer {member_token(member)}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_input_makes_the_api_fail_or_break_its_schema(case, member_headers):
    """A bounded run: generated requests, as a member, against every operation."""
    case.call_and_validate(headers=member_headers, checks=[not_a_server_error, response_schema_conformance])
