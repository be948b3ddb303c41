import sys
import uuid
from contextlib import closing

from django.core.management.base import CommandError

from audit.management.commands._period import parse_period
from audit.models import AuditSource
from audit.selectors import EXPORT_FORMATS, audit_entries
from audit.services import Actor, audit_export
from config.commands import DATABASE_ERRORS, FAILED, BaseCommand, failure_message


class Command(BaseCommand):
    help = (
        "Export audit entries as CSV or JSON Lines, streamed (memory does not grow with the rows), "
        "times in ISO 8601 UTC and on each entry's branch clock. The export is itself recorded in the trail, "
        "also when it stops early."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="First day (YYYY-MM-DD) or time.")
        parser.add_argument("--to", dest="end", required=True, help="Last day (inclusive) or time.")
        parser.add_argument("--org", type=uuid.UUID, help="Only this organization (its id).")
        parser.add_argument("--action", help="Only this action, e.g. booking.created.")
        parser.add_argument("--format", dest="export_format", choices=EXPORT_FORMATS, default="csv")
        parser.add_argument("--output", required=True, help="A file to write, or - for standard output.")

    def handle(self, *args, start, end, org, action, export_format, output, **options):
        start_at, end_at = parse_period(start, end)
        filters = {"start": start_at, "end": end_at, "organization_id": org, "action": action}
        target = sys.stdout.buffer if output == "-" else self._open(output)
        export = audit_export(
            queryset=audit_entries(**filters),
            export_format=export_format,
            actor=Actor.system("export_audit"),
            filters={key: str(value) for key, value in filters.items() if value},
            source=AuditSource.COMMAND,
        )
        written = 0
        try:
            with closing(export):  # however it ends, the export is recorded
                for chunk in export:
                    target.write(chunk)
                    target.flush()  # a closed pipe shows here, before the next chunk is taken
                    written += len(chunk)
        except (*DATABASE_ERRORS, OSError, KeyboardInterrupt) as interruption:
            recorded = "the trail records it as not read to the end" if export.recorded else "not recorded in the trail"
            raise CommandError(
                f"the export stopped after {export.rows} rows ({recorded}): {failure_message(interruption)}",
                returncode=FAILED,
            ) from interruption
        finally:
            if output != "-":
                target.close()
        if output != "-":
            self.stderr.write(f"Wrote {export.rows} entries ({written} bytes of {export_format}) to {output}.")

    def _open(self, path: str):
        try:
            return open(path, "wb")  # noqa: SIM115 - closed in handle()
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror}", returncode=FAILED) from None
