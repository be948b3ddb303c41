from django.core.management.base import CommandError

from audit.models import AuditSource
from audit.services import Actor
from config.commands import BAD_ARGUMENTS, BaseCommand
from staff_auth.models import PREFIX_LENGTH, StaffApiToken
from staff_auth.services import api_token_revoke


class Command(BaseCommand):
    help = "Revoke a staff API token now, found by the first characters of its key (as the admin lists it)."

    def add_arguments(self, parser):
        parser.add_argument("key_start", help=f"The key's first {PREFIX_LENGTH} characters (or the whole key).")
        parser.add_argument("--reason", default="", help="Why, for the audit trail (e.g. “kiosk stolen”).")
        parser.add_argument("--dry-run", action="store_true", help="Say which token it is; revoke nothing.")

    def handle(self, *args, key_start: str, reason: str, dry_run: bool, **options):
        prefix = key_start.strip().rstrip("…")[:PREFIX_LENGTH]
        token = StaffApiToken.objects.select_related("user").filter(prefix=prefix.replace("\x00", "")).first()
        if len(prefix) < PREFIX_LENGTH or token is None:
            raise CommandError(f"no API token's key starts with {key_start!r}", returncode=BAD_ARGUMENTS)
        described = f"“{token.name}” of {token.user.get_username()} ({token.prefix}…)"
        if dry_run:
            state = "already revoked" if token.revoked_at else "would be revoked"
            self.stdout.write(f"{described}: {state} (dry run: nothing changed).")
            return
        if api_token_revoke(token_id=token.pk, actor=Actor.system("revoke_api_token"), source=AuditSource.COMMAND,
                            reason=reason.replace("\x00", "")) is None:  # fmt: skip
            self.stdout.write(f"{described} was already revoked.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Revoked {described}: it no longer opens the API."))
