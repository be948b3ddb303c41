from django.db import migrations

from config.sql import run_frozen_sql


class Migration(migrations.Migration):
    """The member search decides "staff or member" from the database role the request runs as,
    not from the token's claims (migrations/sql/0006_search_by_database_role.sql);
    reversed by reinstalling the search of members 0005."""

    dependencies = [
        ("members", "0005_phone_search"),
    ]

    operations = [
        run_frozen_sql(__file__),
    ]
