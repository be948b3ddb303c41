from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from audit.models import AuditSource
from audit.services import Actor
from clubs import localtime
from config.commands import BAD_ARGUMENTS, BaseCommand
from staff_auth.services import MAX_TOKEN_DAYS, api_token_check, api_token_create


class Command(BaseCommand):
    help = (
        "Make an API token for a staff user (a kiosk, a partner tool) and print its key, once: "
        "the club keeps only a digest of it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The staff user the token acts as (for a kiosk, a user of its own).")
        parser.add_argument("--name", required=True, help="What it is for, e.g. “Riverside entrance kiosk”.")
        parser.add_argument(
            "--days", type=int, help=f"How long it lasts, 1 to {MAX_TOKEN_DAYS} (default STAFF_API_TOKEN_DAYS)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check everything; make no token.")

    def handle(self, *args, username: str, name: str, days: int | None, dry_run: bool, **options):
        days = settings.STAFF_API_TOKEN_DAYS if days is None else days
        user = get_user_model()._default_manager.filter(username=username.replace("\x00", "")).first()
        if user is None:
            raise CommandError(f"no user named {username!r}", returncode=BAD_ARGUMENTS)
        try:
            api_token_check(user=user, name=name, days=days)
        except ValidationError as refusal:
            raise CommandError(" ".join(refusal.messages), returncode=BAD_ARGUMENTS) from None
        if dry_run:
            self.stdout.write(f"Would make “{name.strip()}” for {username}, lasting {days} days (dry run: none made).")
            return
        token, key = api_token_create(
            user=user, name=name, days=days, actor=Actor.system("create_api_token"), source=AuditSource.COMMAND
        )
        expires = localtime.local_datetime(token.expires_at, settings.TIME_ZONE)
        # The key alone on standard output (KEY=$(manage.py create_api_token …)); the rest beside it.
        self.stderr.write(f"Made “{token.name}” for {username}, until {expires}. Its key, shown only now:")
        self.stdout.write(key)
