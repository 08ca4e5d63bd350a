import os

from django.core.management import call_command
from django.core.management.base import BaseCommand

from sportel.core import demo


class Command(BaseCommand):
    help = "Migrate, load demo data, print the demo logins and serve on 127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-serve", action="store_true", help="set up only, do not serve")

    def handle(self, *args, port: int, no_serve: bool, **options):
        from django.conf import settings

        # Public URLs (QR codes on documents, links on receipts and in messages) point to where
        # the demo serves, unless the operator set SPORTEL_PUBLIC_URL themselves.
        if not os.environ.get("SPORTEL_PUBLIC_URL"):
            settings.SPORTEL_PUBLIC_URL = f"http://127.0.0.1:{port}"
            os.environ["SPORTEL_PUBLIC_URL"] = settings.SPORTEL_PUBLIC_URL
        call_command("compile-messages", verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
        demo.seed_all()
        self.print_logins(port)
        if not no_serve:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)

    def print_logins(self, port: int) -> None:
        out = self.stdout.write
        out("")
        out(f"Sportel demo: http://127.0.0.1:{port}/  (English: http://127.0.0.1:{port}/en/)")
        for line in demo.notes():
            out(line)
