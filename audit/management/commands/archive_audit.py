import datetime
from pathlib import Path

from django.core.management.base import CommandError

from audit.services import AuditArchiveRefused, audit_archive
from config.commands import BAD_ARGUMENTS, FAILED, BaseCommand


def month_argument(value: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"--month {value!r} is not a month (YYYY-MM)", returncode=BAD_ARGUMENTS) from None


class Command(BaseCommand):
    help = (
        "Take a past month (UTC) out of the audit trail in one step: export it with its chain proof to a file, "
        "verify the file, then record the cut and detach the month's partition (or drop it with --drop). "
        "Refused for the current month, an archived one, one with unsealed entries, or when the export does not "
        "verify; then nothing changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month to archive, YYYY-MM (UTC).")
        parser.add_argument("--to", dest="path", type=Path, required=True, help="The archive file to write (new).")
        parser.add_argument(
            "--drop",
            action="store_true",
            help="Drop the month's partition. Without it the partition is detached and kept as the table "
            "audit_partitions.audit_logs_YYYY_MM, out of the trail, until you drop it.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Export and verify (to a file removed afterwards) and say what would be archived; change nothing.",
        )

    def handle(self, *args, month, path, drop, dry_run, **options):
        try:
            result = audit_archive(
                month=month_argument(month), path=path, drop=drop, dry_run=dry_run, progress=self.stdout.write
            )
        except AuditArchiveRefused as refusal:
            raise CommandError(refusal.message, returncode=BAD_ARGUMENTS if refusal.argument else FAILED) from None
        except OSError as error:
            message = f"cannot write {path}: {error.strerror}; nothing was archived"
            raise CommandError(message, returncode=FAILED) from None
        runs = "1 run" if result.runs == 1 else f"{result.runs:,} runs"
        summary = f"{result.entries:,} entries of {month} in {runs} of their chains"
        if dry_run:
            self.stdout.write(
                f"Dry run: {summary} would be archived to {path} (it verified, sha256 {result.sha256}) and "
                f"{result.partition} {'dropped' if drop else 'detached'}. Nothing was changed."
            )
            return
        self.stdout.write(self.style.SUCCESS(f"Archived {summary} to {path} (sha256 {result.sha256})."))
        if drop:
            self.stdout.write(f"{result.partition} was dropped.")
        else:
            self.stdout.write(
                f"{result.partition} was detached: once {path} is stored safely, drop it "
                f"(drop table {result.partition})."
            )
        self.stdout.write("Keep the archive and its sha256: 'verify_audit --archive FILE' checks it at any time.")
