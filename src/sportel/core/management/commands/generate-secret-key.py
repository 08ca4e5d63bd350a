import string

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

# Letters, digits, - and _: safe unquoted in shells, systemd EnvironmentFile and .env files.
ALPHABET = string.ascii_letters + string.digits + "-_"


class Command(BaseCommand):
    help = "Print a new random SPORTEL_SECRET_KEY (64 characters; keep it out of version control)."
    requires_system_checks = []

    def handle(self, *args, **options):
        self.stdout.write(get_random_string(64, ALPHABET))
