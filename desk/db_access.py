"""What the Supabase roles may do with the desk's tables (see config/access_declaration.py):
nothing. Which branch a staff member works at is the admin's business alone."""

from config.access_declaration import closed_table

DECLARATIONS = [closed_table("desk_branches")]
