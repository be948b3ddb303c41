"""What the Supabase roles may do with the audit trail (see access/declaration.py).

Append-only: the server side may read and add entries and seals; nobody is granted UPDATE or
DELETE (and a trigger refuses them anyway). Members never read it. The sealing queue
(audit_pending) is undeclared, hence private.
"""

from access.declaration import APPEND_ONLY, SERVICE_ROLE, Table

DECLARATIONS = [
    Table("audit_logs", grants={SERVICE_ROLE: APPEND_ONLY}),
    Table("audit_seals", grants={SERVICE_ROLE: APPEND_ONLY}),
]
