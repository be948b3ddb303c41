"""What the Supabase roles may do with the audit trail (see access/declaration.py).

Append-only: the server side may read and add entries; nobody is granted UPDATE or DELETE.
Members never read it.
"""

from access.declaration import APPEND_ONLY, SERVICE_ROLE, Table

DECLARATIONS = [Table("audit_logs", grants={SERVICE_ROLE: APPEND_ONLY})]
