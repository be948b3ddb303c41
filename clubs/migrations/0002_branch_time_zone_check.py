from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clubs", "0001_initial")]

    operations = [
        # PostgreSQL refuses a zone it does not know ("time zone ... not recognized"), so a
        # branch inserted through any door has a zone that slot generation can use.
        migrations.RunSQL(
            sql=(
                "alter table public.branches add constraint branches_time_zone_known "
                "check (('2000-01-01 00:00+00'::timestamptz at time zone time_zone) is not null)"
            ),
            reverse_sql="alter table public.branches drop constraint branches_time_zone_known",
        ),
    ]
