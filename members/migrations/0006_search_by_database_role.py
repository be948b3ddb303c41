from django.db import migrations

from config.sql import run_sql_file


class Migration(migrations.Migration):
    """The member search decides "staff or member" from the database role the request runs as,
    not from the token's claims (members/sql/member_search_v2.sql); reversed by reinstalling
    member_search.sql."""

    dependencies = [
        ("members", "0005_phone_search"),
    ]

    operations = [
        run_sql_file("members", "member_search_v2.sql", reverse_filename="member_search.sql"),
    ]
