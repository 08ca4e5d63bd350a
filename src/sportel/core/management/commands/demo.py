import os
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from sportel.core import demo


class Command(BaseCommand):
    help = "Migrate, load demo data, print the demo logins and serve on 127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-serve", action="store_true", help="set up only, do not serve")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="serve without a background worker (emails and SMS then stay in the outbox)",
        )

    def handle(self, *args, port: int, no_serve: bool, no_worker: bool, **options):
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
        if no_serve:
            return
        # The worker delivers what the outbox holds (sign-up links, SMS codes at the kiosk, case
        # notifications): the demo's file providers write them under SPORTEL_DATA_DIR/outbox.
        worker = None if no_worker else start_worker()
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)

    def print_logins(self, port: int) -> None:
        out = self.stdout.write
        out("")
        out(f"Sportel demo: http://127.0.0.1:{port}/  (English: http://127.0.0.1:{port}/en/)")
        out("A background worker runs beside the server: emails and SMS are written under")
        out("  var/outbox/ (the demo's file providers), where you read sign-up links and codes.")
        for line in demo.notes():
            out(line)


def start_worker() -> subprocess.Popen:
    """``sportel worker`` in its own process, with this process's environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "sportel.cli", "worker"], env={**os.environ}, close_fds=True
    )
