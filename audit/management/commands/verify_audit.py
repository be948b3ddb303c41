import uuid
from pathlib import Path

from django.core.management.base import CommandError

from audit.chain import chain_label
from audit.management.commands._heads import heads_argument
from audit.management.commands._period import parse_period
from audit.selectors import audit_verify
from audit.services import audit_seal
from config.commands import BAD_ARGUMENTS, BaseCommand


class Command(BaseCommand):
    help = (
        "Seal pending entries, then recompute the audit hash chains and report the first broken "
        "entry of each. Exit 1 when a chain is broken, 0 when intact."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", type=uuid.UUID, help="Only this organization's chain (its id).")
        parser.add_argument("--from", dest="start", help="Only entries from this date or time on.")
        parser.add_argument("--to", dest="end", help="Only entries up to this date (inclusive) or time.")
        parser.add_argument(
            "--against",
            type=Path,
            metavar="FILE",
            help="Also prove that history up to each head published in FILE (by 'seal_audit --heads') is unchanged.",
        )

    def handle(self, *args, org, start, end, against, **options):
        start_at, end_at = parse_period(start, end)
        published = self._published(against, start_at or end_at) if against else []
        sealed = audit_seal().sealed
        report = audit_verify(organization_id=org, start=start_at, end=end_at, published=published)
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
                entry = f" (entry {chain.broken_entry})" if chain.broken_entry else ""
                self.stdout.write(
                    self.style.ERROR(
                        f"{label}: BROKEN at position {chain.broken_at}{entry}: {chain.problem}; "
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
                archived = f" ({chain.archived} more archived with their months)" if chain.archived else ""
                self.stdout.write(
                    f"{label}: intact, {chain.verified} entries verified{archived}, {chain.unsealed} not yet sealed"
                )
        if not report.chains:
            self.stdout.write("The audit trail is empty: nothing to verify.")
        if not report.intact:
            raise CommandError("the audit trail has been tampered with", returncode=1)
        self.stdout.write(self.style.SUCCESS("Audit trail intact."))
        if against:
            self.stdout.write(f"History up to each of the {len(published)} heads published in {against} is unchanged.")
            archived = sum(chain.archived_heads for chain in report.chains)
            if archived:
                self.stdout.write(
                    f"{archived} of them fall inside archived months: the later heads vouch for them, and "
                    "'verify_audit --archive FILE --against' checks them in their archive."
                )

    def _published(self, path: Path, period: bool):
        if period:
            raise CommandError(
                "--against verifies whole chains, from their first entry: give it without --from and --to",
                returncode=BAD_ARGUMENTS,
            )
        published = heads_argument(path, "--against")
        if not published:
            raise CommandError(
                f"--against {path} holds no published head: nothing to verify against "
                f"(write them with 'seal_audit --heads {path}')",
                returncode=BAD_ARGUMENTS,
            )
        return published
