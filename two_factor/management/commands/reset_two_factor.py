from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from audit.models import AuditSource
from audit.services import Actor
from config.commands import BAD_ARGUMENTS, BaseCommand
from two_factor.services import devices_reset


class Command(BaseCommand):
    help = (
        "Forget a staff member's authenticator app and recovery codes (audited): they set up an app again "
        "at their next sign-in. For when no manager can do it in the admin, a superuser's lost phone included."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The staff member, exactly as they sign in.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would be forgotten; forget nothing.")

    def handle(self, *args, username: str, dry_run: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no staff member signs in as “{username}”", returncode=BAD_ARGUMENTS)
        removed = devices_reset(
            user=user,
            actor=Actor.system("reset_two_factor"),
            source=AuditSource.COMMAND,
            may_reset_superusers=True,  # whoever runs this holds the database already
            dry_run=dry_run,
        )
        if not removed:
            self.stdout.write(f"Nothing to reset: “{username}” has no authenticator app set up.")
        elif dry_run:
            self.stdout.write(f"Would forget {' and '.join(removed)} of “{username}” (dry run: nothing changed).")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Reset “{username}”: they set up an authenticator app at their next sign-in.")
            )
