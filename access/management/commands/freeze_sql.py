from django.core.management.base import CommandError

from config.commands import BAD_ARGUMENTS, BaseCommand
from config.sql import BASE_DIR, freeze, unit_dir


class Command(BaseCommand):
    help = (
        "Freeze a unit's SQL (<app>/sql/<unit>/*.sql) into the migration that installs it "
        "(<app>/migrations/sql/<migration>.sql), which runs it with config.sql.run_frozen_sql(__file__)."
    )

    def add_arguments(self, parser):
        parser.add_argument("app_label")
        parser.add_argument("unit", help="A folder of <app>/sql/.")
        parser.add_argument("migration", help="The migration's name, e.g. 0014_bookable_items.")

    def handle(self, *args, app_label: str, unit: str, migration: str, **options):
        if not unit_dir(app_label, unit).is_dir():
            raise CommandError(f"{app_label}/sql/{unit}/ does not exist", returncode=BAD_ARGUMENTS)
        if not (BASE_DIR / app_label / "migrations" / f"{migration}.py").exists():
            raise CommandError(
                f"{app_label}/migrations/{migration}.py does not exist: write it first", returncode=BAD_ARGUMENTS
            )
        path = freeze(app_label, unit, migration)
        self.stdout.write(f"Froze {app_label}/sql/{unit}/ into {path.relative_to(BASE_DIR)}")
