from django.core.management.base import BaseCommand

from sportel.core.secrets import new_secret_key


class Command(BaseCommand):
    help = "Print a new random SPORTEL_SECRET_KEY (64 characters; keep it out of version control)."
    requires_system_checks = []

    def handle(self, *args, **options):
        self.stdout.write(new_secret_key())
