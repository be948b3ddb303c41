import json

from django.core.management.base import CommandError

from access.doctor import ERROR, WARNING, database_checkup
from config.commands import BaseCommand


class Command(BaseCommand):
    help = (
        "Check the live database against everything the code expects: migrations, tables, columns, "
        "functions, grants, row-level security, Supabase's security lints and what breaks behind a "
        "transaction pooler. Exit 1 on any error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the findings as JSON.")

    def handle(self, *args, as_json: bool, **options):
        findings = database_checkup()
        errors = sum(finding.severity == ERROR for finding in findings)
        warnings = sum(finding.severity == WARNING for finding in findings)
        if as_json:
            payload = {"errors": errors, "warnings": warnings, "findings": [f.as_dict() for f in findings]}
            self.stdout.write(json.dumps(payload, indent=2))
        else:
            self._print_table(findings)
            summary = f"{errors} errors, {warnings} warnings."
            if errors:
                self.stdout.write(self.style.ERROR(summary))
            elif warnings:
                self.stdout.write(self.style.WARNING(summary + " Nothing will fail, but read the warnings."))
            else:
                self.stdout.write(self.style.SUCCESS("The database matches the code: no errors, no warnings."))
        if errors:
            raise CommandError(f"{errors} errors found", returncode=1)

    def _print_table(self, findings) -> None:
        if not findings:
            return
        rows = [("SEVERITY", "CHECK", "OBJECT", "DETAIL")] + [
            (finding.severity, finding.check, finding.object, finding.detail) for finding in findings
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        for row in rows:
            cells = [row[column].ljust(widths[column]) for column in range(3)]
            self.stdout.write("  ".join([*cells, row[3]]))
