from pathlib import Path

from django.core.management.base import CommandError

from audit.chain import append_heads
from audit.management.commands._heads import heads_argument
from audit.selectors import chain_heads
from audit.services import audit_partitions_ensure, audit_seal
from config.commands import FAILED, BaseCommand


class Command(BaseCommand):
    help = (
        "Chain the audit entries committed since the last run into their organization's hash chain (cron); "
        "first make the trail's month partitions due (this month and the next two)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--heads",
            type=Path,
            metavar="FILE",
            help="Then append each chain's head that moved (chain, position, hash, time) to FILE, one JSON line "
            "each: kept where the database's owner cannot change it, it is what 'verify_audit --against' checks.",
        )

    def handle(self, *args, heads, **options):
        # Sealing first: a heads file that cannot be read (a line torn by a crash) must not stop the
        # chain from growing; only publishing waits until the file is put right.
        made = audit_partitions_ensure()
        if made:
            self.stdout.write(f"Made the trail's partition for {made} more month(s).")
        result = audit_seal()
        if result.sealed:
            self.stdout.write(self.style.SUCCESS(f"Sealed {result.sealed} entries in {result.chains} chains."))
        else:
            self.stdout.write("Nothing to seal: every committed entry is already in its chain.")
        if heads:
            try:
                published = heads_argument(heads, "--heads", missing_ok=True)
            except CommandError as refusal:
                message = f"the entries are sealed, but no head was published: {refusal}"
                raise CommandError(message, returncode=FAILED) from None
            self._publish(heads, published)

    def _publish(self, path: Path, published) -> None:
        last_published = {head.chain: head for head in published}  # the file's last line for each chain
        moved = [head for head in chain_heads() if last_published.get(head.chain) != head]
        if not moved:
            self.stdout.write(f"Heads already published: no chain moved since the last lines of {path}.")
            return
        try:
            append_heads(path, moved)
        except OSError as error:
            raise CommandError(
                f"cannot append to --heads {path} ({error.strerror}): the entries are sealed; "
                "run again to publish their heads",
                returncode=FAILED,
            ) from None
        self.stdout.write(
            f"Published the heads of {len(moved)} chains to {path}: keep its lines where the database's owner "
            "cannot change them (verify_audit --against checks them)."
        )
