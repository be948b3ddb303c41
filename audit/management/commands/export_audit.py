import sys
import uuid

from django.core.management.base import BaseCommand, CommandError

from audit.management.commands._period import parse_period
from audit.models import AuditSource
from audit.selectors import EXPORT_FORMATS, audit_entries
from audit.services import Actor, audit_export


class Command(BaseCommand):
    help = (
        "Export audit entries as CSV or JSON Lines, streamed (memory does not grow with the rows), "
        "times in ISO 8601 UTC. The export is itself recorded in the trail."
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
        chunks = audit_export(
            queryset=audit_entries(**filters),
            export_format=export_format,
            actor=Actor.system("export_audit"),
            filters={key: str(value) for key, value in filters.items() if value},
            source=AuditSource.COMMAND,
        )
        target = sys.stdout.buffer if output == "-" else self._open(output)
        written = 0
        try:
            for chunk in chunks:
                target.write(chunk)
                written += len(chunk)
        finally:
            if output != "-":
                target.close()
        if output != "-":
            self.stderr.write(f"Wrote {written} bytes of {export_format} to {output}.")

    def _open(self, path: str):
        try:
            return open(path, "wb")  # noqa: SIM115 - closed in handle()
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror}", returncode=1) from None
