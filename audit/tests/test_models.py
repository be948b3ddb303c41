import pytest

from audit.models import AuditLog
from audit.tests.factories import AuditLogFactory
from config.testing import rejected_by_database

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"action": "Updated facility"}, "audit_logs_action_namespaced"),
        ({"source": "email"}, "audit_logs_source_valid"),
        ({"actor_type": "robot"}, "audit_logs_actor_type_valid"),
    ],
)
def test_audit_entry_rejects_bad_values(change, constraint):
    entry = AuditLogFactory()
    with rejected_by_database(constraint):
        AuditLog.objects.filter(pk=entry.pk).update(**change)
