import json

from django.core.management.base import CommandError

from access.planning import AccessConfigurationError
from access.services import grants_sync
from config.commands import BaseCommand


class Command(BaseCommand):
    help = (
        "Make the database's grants, row-level security and policies for anon, authenticated and "
        "service_role exactly what the code declares (<app>/db_access.py), printing one line per change."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit 1 when the database differs from the declaration.",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the plan as JSON.")

    def handle(self, *args, check: bool, as_json: bool, **options):
        try:
            result = grants_sync(apply=not check)
        except AccessConfigurationError as error:
            if as_json:
                self.stdout.write(_dumps({"drift": None, "changes": [], "errors": error.problems}))
            raise CommandError("\n".join(error.problems), returncode=1) from None

        if as_json:
            payload = {
                "drift": bool(result.changes),
                "changes": [c.as_dict() for c in result.changes],
                "errors": [],
                "others_default_privileges": [item.as_dict() for item in result.others_defaults],
            }
            self.stdout.write(_dumps(payload))
        else:
            for change in result.changes:
                self.stdout.write(f"{change.sql};")
            self.stdout.write(self._summary(result, check))
            self._report_others_defaults(result)
        if check and result.changes:
            raise CommandError(f"{len(result.changes)} differences from the declaration", returncode=1)

    def _report_others_defaults(self, result) -> None:
        """Not drift sync_grants can fix (another role's settings), so the exit status ignores it."""
        if not result.others_defaults:
            return
        self.stdout.write(
            self.style.WARNING(
                f"{len(result.others_defaults)} default privileges of other roles open what those roles create"
                " to the API roles; sync_grants does not change them:"
            )
        )
        for item in result.others_defaults:
            self.stdout.write(f"  {item.where}: {item.detail}")

    def _summary(self, result, check: bool) -> str:
        if not result.changes:
            return self.style.SUCCESS("No drift: grants, row-level security and policies match the declaration.")
        if check:
            return self.style.WARNING(
                f"Drift: {len(result.changes)} changes needed; run 'manage.py sync_grants' to apply them."
            )
        return self.style.SUCCESS(
            f"Applied {len(result.changes)} changes in one transaction; asked PostgREST to reload its schema cache."
        )


def _dumps(payload: dict) -> str:
    return json.dumps(payload, indent=2)
