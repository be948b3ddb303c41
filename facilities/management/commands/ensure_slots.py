import json
import uuid

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connection

from audit.models import AuditSource
from audit.services import Actor
from clubs.runs import RUN_MAX_DAYS
from config.commands import BAD_ARGUMENTS, FAILED, BranchRunCommand, day
from config.errors import RuleViolation
from facilities.services import slots_ensure


class Command(BranchRunCommand):
    allows_past = True

    help = (
        "Generate the bookable slots of each facility from its settings (cron), through the same SQL "
        "function members reach. Safe to run concurrently; a second run creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--branch", action="append", type=uuid.UUID, dest="branches", help="A branch id (repeatable)."
        )
        parser.add_argument("--start", type=day, help="First day (default: today in each branch's zone).")
        period = parser.add_mutually_exclusive_group()
        period.add_argument(
            "--days",
            type=int,
            help=f"How many days, 1 to {RUN_MAX_DAYS} (default {settings.SLOT_GENERATION_DAYS}).",
        )
        period.add_argument("--end", type=day, help="Last day, inclusive.")
        parser.add_argument(
            "--allow-past",
            action="store_true",
            help="Accept a --start before today in a branch's zone (slots that have already ended).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; change nothing.")
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Also remove future slots the settings no longer produce (booked slots are kept).",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the results as JSON.")

    def handle(self, *args, branches, start, days, end, allow_past, dry_run, rebuild, as_json, **options):
        selected = self._branches(branches)
        # Every branch's period is checked before any branch is changed.
        periods = [(branch, self._period(branch, start, days, end, allow_past)) for branch in selected]
        results, failures = [], 0
        for branch, (first, last) in periods:
            try:
                run = slots_ensure(
                    branch_id=branch.pk,
                    start_date=first,
                    end_date=last,
                    actor=Actor.system("ensure_slots"),
                    source=AuditSource.COMMAND,
                    dry_run=dry_run,
                    rebuild=rebuild,
                )
            except RuleViolation as refusal:
                raise CommandError(refusal.message, returncode=BAD_ARGUMENTS) from None  # the same for every branch
            except DatabaseError as error:
                if connection.connection is None or not connection.is_usable():
                    raise  # the connection is lost (Django drops one it cannot roll back): so are the other branches
                failures += 1
                results.append({"branch": branch.name, "branch_id": str(branch.pk), "error": str(error)})
                if not as_json:
                    self.stderr.write(self.style.ERROR(f"{branch.name}: failed: {error}"))
                continue
            results.append({"branch": branch.name, **run.as_dict()})
            if not as_json:
                self._progress(branch, run, dry_run)
        self._summary(results, dry_run, as_json)
        if failures:
            raise CommandError(f"{failures} of {len(selected)} branches failed", returncode=FAILED)

    def _progress(self, branch, run, dry_run: bool) -> None:
        verb = "would create" if dry_run else "created"
        line = f"{branch.name} ({branch.time_zone}) {run.start_date} to {run.end_date}: {run.created} {verb}, "
        line += f"{run.already_present} already present"
        if run.removed or run.kept:
            line += f", {run.removed} {'would be ' if dry_run else ''}removed, {run.kept} kept (booked)"
        self.stdout.write(line)
        for skipped in run.skipped:
            self.stdout.write(f"  skipped {skipped['facility']}: {skipped['reason']}")

    def _summary(self, results: list[dict], dry_run: bool, as_json: bool) -> None:
        done = [result for result in results if "error" not in result]
        totals = {key: sum(result[key] for result in done) for key in ("created", "already_present", "removed", "kept")}
        if as_json:
            payload = {"dry_run": dry_run, "branches": results, "totals": totals}
            self.stdout.write(json.dumps(payload, indent=2))
            return
        if not results:
            self.stdout.write("No active branches: nothing to do. Add a branch in the admin first.")
            return
        verb = "would be created" if dry_run else "created"
        summary = f"{len(done)} branches: {totals['created']} slots {verb}, {totals['already_present']} already present"
        if totals["removed"] or totals["kept"]:
            summary += f", {totals['removed']} removed, {totals['kept']} kept because booked"
        self.stdout.write(self.style.SUCCESS(summary + "."))
