"""Staff API tokens are keys to the staff's powers (kept as digests, still): closed to every API
role, `service_role` included, like Django's own tables (and axes', which django_tables() closes)."""

from config.access_declaration import closed_table

DECLARATIONS = [closed_table("staff_api_tokens")]
