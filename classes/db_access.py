"""What the Supabase roles may do with classes (see config/access_declaration.py).

Members read the classes; the timetable they are made from is the staff's (server side only),
and so is its generator, `app_private.generate_classes` (`manage.py ensure_classes`), left
undeclared.
"""

from config.access_declaration import Table, organization_table

DECLARATIONS = [organization_table("classes"), Table("class_timetable")]
