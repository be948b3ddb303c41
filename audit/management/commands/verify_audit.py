import uuid
from pathlib import Path

from django.core.management.base import CommandError

from audit.archive import ArchiveError, month_label, read_archive
from audit.chain import chain_label
from audit.management.commands._heads import heads_argument
from audit.management.commands._period import parse_period
from audit.models import AuditCut
from audit.selectors import audit_verify
from audit.services import audit_seal
from config.commands import BAD_ARGUMENTS, FAILED, BaseCommand


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
        parser.add_argument(
            "--archive",
            type=Path,
            metavar="FILE",
            help="Verify a month's archive written by 'archive_audit' instead (with --against: the heads it holds).",
        )

    def handle(self, *args, org, start, end, against, archive, **options):
        if archive:
            self._verify_archive(archive, against, org or start or end)
            return
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

    def _verify_archive(self, path: Path, against: Path | None, other_options) -> None:
        """The archive on its own: every hash, every link, its count and runs; the sha256 the trail
        recorded when it cut the month; with --against, each published head that falls in it."""
        if other_options:
            message = "--archive verifies one file: give it without --org, --from and --to"
            raise CommandError(message, returncode=BAD_ARGUMENTS)
        published = heads_argument(against, "--against") if against else []
        try:
            archive = read_archive(path, wanted=[(head.chain, head.position) for head in published])
        except FileNotFoundError:
            raise CommandError(f"--archive {path}: no such file", returncode=BAD_ARGUMENTS) from None
        except OSError as error:
            message = f"--archive {path}: cannot read it ({error.strerror})"
            raise CommandError(message, returncode=BAD_ARGUMENTS) from None
        except ArchiveError as problem:
            self.stdout.write(self.style.ERROR(f"{path}: {problem}"))
            raise CommandError(f"{path} does not verify", returncode=FAILED) from None
        label = month_label(archive.month)
        self.stdout.write(
            f"{path}: {label}, {archive.entries:,} entries in {len(archive.runs):,} run(s) of their chains, every hash "
            f"and link verified (sha256 {archive.sha256})."
        )
        cut = AuditCut.objects.filter(month=archive.month).first()
        if cut is None:
            self.stdout.write(f"The trail has no record of archiving {label}.")
        elif cut.archive_sha256 != archive.sha256:
            self.stdout.write(
                self.style.ERROR(
                    f"The trail archived {label} on {cut.cut_at:%Y-%m-%d} to a file whose sha256 was "
                    f"{cut.archive_sha256}: this is not that file"
                )
            )
            raise CommandError(f"{path} is not the archive the trail recorded", returncode=FAILED)
        else:
            self.stdout.write(f"It is the file the trail recorded when it archived {label} on {cut.cut_at:%Y-%m-%d}.")
        changed = [
            head for head in published if archive.hashes.get((head.chain, head.position), head.hash) != head.hash
        ]
        for head in changed:
            self.stdout.write(
                self.style.ERROR(
                    f"{chain_label(head.chain)}: the head published for position {head.position} (hash "
                    f"{head.hash[:16]}…, sealed {head.sealed_at.isoformat()}) does not match the archive"
                )
            )
        if changed:
            raise CommandError(f"{path} does not hold the history its published heads vouch for", returncode=FAILED)
        if against:
            self.stdout.write(f"{len(archive.hashes)} heads published in {against} fall in it, each unchanged.")
