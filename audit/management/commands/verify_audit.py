import uuid

from django.core.management.base import CommandError

from audit.management.commands._period import parse_period
from audit.selectors import audit_verify, chain_label
from audit.services import audit_seal
from config.commands import BaseCommand


class Command(BaseCommand):
    help = (
        "Seal pending entries, then recompute the audit hash chains and report the first broken "
        "entry of each. Exit 1 when a chain is broken, 0 when intact."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", type=uuid.UUID, help="Only this organization's chain (its id).")
        parser.add_argument("--from", dest="start", help="Only entries from this date or time on.")
        parser.add_argument("--to", dest="end", help="Only entries up to this date (inclusive) or time.")

    def handle(self, *args, org, start, end, **options):
        start_at, end_at = parse_period(start, end)
        sealed = audit_seal().sealed
        report = audit_verify(organization_id=org, start=start_at, end=end_at)
        if sealed:
            self.stdout.write(f"Sealed {sealed} pending entries first.")
        for chain in report.chains:
            label = chain_label(chain.chain)
            for entry, occurred_at in chain.unqueued:
                self.stdout.write(
                    self.style.ERROR(
                        f"{label}: entry {entry} ({occurred_at.isoformat()}) is neither sealed nor waiting to be "
                        "sealed: it was taken off the sealing queue, and nothing proves it unchanged"
                    )
                )
            if chain.broken_at is not None:
                self.stdout.write(
                    self.style.ERROR(
                        f"{label}: BROKEN at position {chain.broken_at} (entry {chain.broken_entry}): {chain.problem}; "
                        f"{chain.verified} entries verified before it"
                    )
                )
            elif chain.unqueued:
                self.stdout.write(
                    self.style.ERROR(
                        f"{label}: NOT INTACT, {len(chain.unqueued)} entries outside the chain; "
                        f"{chain.verified} sealed entries verified, {chain.unsealed} not yet sealed"
                    )
                )
            else:
                self.stdout.write(
                    f"{label}: intact, {chain.verified} entries verified, {chain.unsealed} not yet sealed"
                )
        if not report.chains:
            self.stdout.write("The audit trail is empty: nothing to verify.")
        if not report.intact:
            raise CommandError("the audit trail has been tampered with", returncode=1)
        self.stdout.write(self.style.SUCCESS("Audit trail intact."))
