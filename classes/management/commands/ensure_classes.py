import json
import uuid

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connection

from audit.models import AuditSource
from audit.services import Actor
from classes.services import classes_ensure
from config.commands import BAD_ARGUMENTS, FAILED, BranchRunCommand, day
from config.errors import RuleViolation


class Command(BranchRunCommand):
    making = "classes"

    help = (
        "Generate the classes of each branch's weekly timetable (cron, next to ensure_slots). "
        "Safe to run concurrently; a second run creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--branch", action="append", type=uuid.UUID, dest="branches", help="A branch id (repeatable)."
        )
        parser.add_argument("--start", type=day, help="First day (default: today in each branch's zone).")
        period = parser.add_mutually_exclusive_group()
        period.add_argument(
            "--days", type=int, help=f"How many days (default {settings.SLOT_GENERATION_DAYS}, as ensure_slots)."
        )
        period.add_argument("--end", type=day, help="Last day, inclusive.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be created; change nothing.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the results as JSON.")

    def handle(self, *args, branches, start, days, end, dry_run, as_json, **options):
        selected = self._branches(branches)
        # Every branch's period is checked before any branch is changed.
        periods = [(branch, self._period(branch, start, days, end)) for branch in selected]
        results, failures = [], 0
        for branch, (first, last) in periods:
            try:
                run = classes_ensure(
                    branch_id=branch.pk,
                    start_date=first,
                    end_date=last,
                    actor=Actor.system("ensure_classes"),
                    source=AuditSource.COMMAND,
                    dry_run=dry_run,
                )
            except RuleViolation as refusal:
                raise CommandError(refusal.message, returncode=BAD_ARGUMENTS) from None  # the same for every branch
            except DatabaseError as error:
                if connection.connection is None or not connection.is_usable():
                    raise  # the connection is lost: so are the other branches
                failures += 1
                results.append({"branch": branch.name, "branch_id": str(branch.pk), "error": str(error)})
                if not as_json:
                    self.stderr.write(self.style.ERROR(f"{branch.name}: failed: {error}"))
                continue
            results.append({"branch": branch.name, **run.as_dict()})
            if not as_json:
                verb = "would create" if dry_run else "created"
                self.stdout.write(
                    f"{branch.name} ({branch.time_zone}) {run.start_date} to {run.end_date}: "
                    f"{run.created} classes {verb}, {run.already_present} already present"
                )
        self._summary(results, dry_run, as_json)
        if failures:
            raise CommandError(f"{failures} of {len(selected)} branches failed", returncode=FAILED)

    def _summary(self, results: list[dict], dry_run: bool, as_json: bool) -> None:
        done = [result for result in results if "error" not in result]
        totals = {key: sum(result[key] for result in done) for key in ("created", "already_present")}
        if as_json:
            self.stdout.write(json.dumps({"dry_run": dry_run, "branches": results, "totals": totals}, indent=2))
            return
        if not results:
            self.stdout.write("No active branches: nothing to do. Add a branch in the admin first.")
            return
        verb = "would be created" if dry_run else "created"
        summary = (
            f"{len(done)} branches: {totals['created']} classes {verb}, {totals['already_present']} already present"
        )
        self.stdout.write(self.style.SUCCESS(summary + "."))
