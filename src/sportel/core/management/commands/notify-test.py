from django.core.management.base import BaseCommand, CommandError

from sportel.core.notifications import send_notification


class Command(BaseCommand):
    help = (
        "Queue the 'test' notification to an email address and/or phone number, to check the "
        "email and SMS settings end to end (the worker delivers it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--language", default="sq", choices=["sq", "en"])
        parser.add_argument(
            "--now", action="store_true", help="deliver in this process instead of the worker"
        )

    def handle(self, *args, email: str, phone: str, language: str, now: bool, **options):
        if not email and not phone:
            raise CommandError("Give --email and/or --phone.")
        row = send_notification(
            template="test",
            context={"name": email or phone},
            language=language,
            to_email=email,
            to_phone=phone,
        )
        self.stdout.write(f"Queued notification {row.pk}.")
        if now:
            from sportel.core.models import Notification
            from sportel.core.notifications import deliver

            pending = Notification.objects.filter(status="queued", template="test")
            for pk in pending.filter(pk__gte=row.pk).values_list("pk", flat=True):
                outcome = deliver(pk)
                self.stdout.write(f"Notification {pk}: {outcome}.")
