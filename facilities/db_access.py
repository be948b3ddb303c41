"""What the Supabase roles may do with facility tables (see config/access_declaration.py).

Members read slots but never insert them: slots come from `ensure_facility_slots` only, a thin
entry point in `public` to a definer function in `app_private` that checks the caller first.
Members read their organization's closures too: the member app says why a slot or class is closed.
The generator itself (`app_private.generate_facility_slots`) is left undeclared: server side only.
"""

from config.access_declaration import AUTHENTICATED, PRIVATE_SCHEMA, SERVICE_ROLE, Function, organization_table

MEMBER_APP = frozenset({AUTHENTICATED, SERVICE_ROLE})

DECLARATIONS = [
    organization_table("facilities"),
    organization_table("benefit_settings"),
    organization_table("benefit_slots"),
    organization_table("closures"),
    Function("public.ensure_facility_slots(uuid, date, date)", execute=MEMBER_APP),
    Function(f"{PRIVATE_SCHEMA}.ensure_facility_slots_for_caller(uuid, date, date)", execute=MEMBER_APP),
]
