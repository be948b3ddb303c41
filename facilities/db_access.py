"""What the Supabase roles may do with facility tables (see access/declaration.py).

Members read slots but never insert them: slots come from `ensure_facility_slots` only.
"""

from access.declaration import organization_table

DECLARATIONS = [
    organization_table("facilities"),
    organization_table("benefit_settings"),
    organization_table("benefit_slots"),
]
