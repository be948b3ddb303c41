from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Installs the member search (members/sql/member_search/) after bookings 0008, whose engine SQL
    still carried the first search, the one that believed the token's "role" claim: a database
    migrated from zero runs it after members 0006 and would keep it. Where the releases ran in
    order, nothing changes. Reversing keeps the definitions."""

    dependencies = [
        ("members", "0007_tenant_key_indexes"),
        ("bookings", "0008_direct_insert_branch"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
