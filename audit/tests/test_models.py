import pytest

from audit.tests.factories import AuditLogFactory
from config.testing import rejected_by_database

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("bad", "constraint"),
    [
        ({"action": "Updated facility"}, "audit_logs_action_namespaced"),
        ({"source": "email"}, "audit_logs_source_valid"),
        ({"actor_type": "robot"}, "audit_logs_actor_type_valid"),
    ],
)
def test_audit_entry_rejects_bad_values(bad, constraint):
    with rejected_by_database(constraint):
        AuditLogFactory(**bad)
