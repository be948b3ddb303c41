"""What the Supabase roles may do with classes (see config/access_declaration.py)."""

from config.access_declaration import organization_table

DECLARATIONS = [organization_table("classes")]
