from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """Installs slot generation from its unit (facilities/sql/slot_generation/), which holds the
    definitions facilities 0003 and 0005 installed between them: nothing changes in a database that
    took both. Reversing keeps the definitions."""

    dependencies = [
        ("facilities", "0006_tenant_key_indexes"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
