import os

from django.utils import timezone

from config.commands import BaseCommand
from demo.seed import demo_data_seed, demo_desk_day_seed


class Command(BaseCommand):
    help = "Load the demo club (idempotent: running it again changes nothing) and print the staff logins."

    def handle(self, *args, **options):
        summary = demo_data_seed(today=timezone.localdate())
        booked = demo_desk_day_seed(now=timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready for {summary.organization.name}: {summary.branches} branches, "
                f"{summary.facilities} facilities, {summary.members} members, "
                f"{summary.entitlements} entitlements, {summary.classes} classes in the coming week; "
                f"{booked} new bookings for the front desk's today and tomorrow."
            )
        )
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"Staff logins for http://127.0.0.1:{port}/admin/ :")
        for username, password, group in summary.logins:
            self.stdout.write(f"  {group:<11} username {username:<10} password {password}")
