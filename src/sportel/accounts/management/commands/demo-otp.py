from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from sportel.accounts.models import User


class Command(BaseCommand):
    help = "Print the current two-step verification code of a demo staff user (development only)."

    def add_arguments(self, parser):
        parser.add_argument("login")

    def handle(self, *args, login: str, **options):
        from django.conf import settings

        if settings.PRODUCTION:
            raise CommandError("demo-otp is for development and demo installations only.")
        user = User.objects.filter(username=login.lower()).first()
        if user is None:
            raise CommandError(f"no user {login!r}")
        device = user.totpdevice_set.filter(confirmed=True).first()
        if device is None:
            raise CommandError(f"{login} has no authenticator device")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
