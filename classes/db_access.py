"""What the Supabase roles may do with classes (see access/declaration.py)."""

from access.declaration import organization_table

DECLARATIONS = [organization_table("classes")]
