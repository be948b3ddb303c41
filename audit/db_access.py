"""What the Supabase roles may do with the audit trail (see config/access_declaration.py).

Append-only: the server side may read and add entries; nobody is granted UPDATE or DELETE (and a
trigger refuses them on entries and seals anyway). The seals and the sealing queue are read-only
to it: an entry taken off the queue would never be sealed, a forged seal would break the chain
for good, and a forged queue row would hold up sealing. Only `seal_audit`, run as the tables'
owner, writes them; new entries reach the queue through a definer-rights trigger. The record of
months cut away (`archive_audit`, as the owner) is read-only to it as well: the chain verifies
across a cut from it. Members never read any of it.

The trail's monthly partitions live in schema `audit_partitions`, which no Supabase role may
use: they are reached only through `audit_logs`, its grants and its row-level security.
"""

from config.access_declaration import APPEND_ONLY, READ_ONLY, SERVICE_ROLE, Table

DECLARATIONS = [
    Table("audit_logs", grants={SERVICE_ROLE: APPEND_ONLY}),
    Table("audit_seals", grants={SERVICE_ROLE: READ_ONLY}),
    Table("audit_pending", grants={SERVICE_ROLE: READ_ONLY}),
    Table("audit_cuts", grants={SERVICE_ROLE: READ_ONLY}),
    Table("audit_cut_runs", grants={SERVICE_ROLE: READ_ONLY}),
]
