"""What the Supabase roles may do with the audit trail (see access/declaration.py).

Append-only: the server side may read and add entries and seals; nobody is granted UPDATE or
DELETE (and a trigger refuses them on entries and seals anyway). The sealing queue
(audit_pending) is declared too: an entry taken off the queue would never be sealed, and could
then be rewritten unseen. Only `seal_audit`, run as the tables' owner, takes entries off it.
Members never read any of it.
"""

from access.declaration import APPEND_ONLY, SERVICE_ROLE, Table

DECLARATIONS = [
    Table("audit_logs", grants={SERVICE_ROLE: APPEND_ONLY}),
    Table("audit_seals", grants={SERVICE_ROLE: APPEND_ONLY}),
    Table("audit_pending", grants={SERVICE_ROLE: APPEND_ONLY}),
]
