from audit.services import audit_seal
from config.commands import BaseCommand


class Command(BaseCommand):
    help = "Chain the audit entries committed since the last run into their organization's hash chain (cron)."

    def handle(self, *args, **options):
        result = audit_seal()
        if result.sealed:
            self.stdout.write(self.style.SUCCESS(f"Sealed {result.sealed} entries in {result.chains} chains."))
        else:
            self.stdout.write("Nothing to seal: every committed entry is already in its chain.")
