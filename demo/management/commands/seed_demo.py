import os

from django.utils import timezone

from config.commands import BaseCommand
from demo.history import demo_history_seed
from demo.seed import demo_data_seed, demo_desk_day_seed


class Command(BaseCommand):
    help = (
        "Load the demo club, its last four weeks and bookings around now (idempotent: running it again the "
        "same day adds nothing) and print the staff logins."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        summary = demo_data_seed(today=timezone.localdate(now))
        history = demo_history_seed(now=now)
        booked = demo_desk_day_seed(now=now)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready for {summary.organization.name}: {summary.branches} branches, "
                f"{summary.facilities} facilities, {summary.members} members, "
                f"{summary.entitlements} entitlements, a timetable of {summary.timetable} weekly classes, "
                f"{summary.classes} classes in the coming week; "
                f"{booked} new bookings for the front desk's today and tomorrow."
            )
        )
        self.stdout.write(history.sentence())
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"Staff logins for http://127.0.0.1:{port}/admin/ :")
        for username, password, group in summary.logins:
            self.stdout.write(f"  {group:<11} username {username:<10} password {password}")
