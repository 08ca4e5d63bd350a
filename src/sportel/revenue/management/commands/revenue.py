"""``sportel revenue import-statement <municipality> <file> [--iban IBAN]``: for scheduled
imports of bank statements (camt.053 XML, or CSV with --iban).

The summary is the last line printed. Exit status: 0 imported; 1 the file is bad (nothing was
posted); 2 the statement was imported before (nothing was posted); 3 unknown municipality or
file.

``sportel revenue accrue-penalties <municipality> [--on YYYY-MM-DD]``: book the late-payment
penalty and delay interest through the day (default today) for every taxpayer with something
overdue; run it daily from cron. A second run for the same day books nothing (decision 0031).
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from sportel.core.models import Municipality
from sportel.revenue.camt053 import StatementError
from sportel.revenue.statements import DuplicateStatement, import_file


class Command(BaseCommand):
    help = "Revenue operations for scripts: import-statement <municipality> <file>."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import-statement", help="import a camt.053 or CSV bank statement")
        imp.add_argument("municipality", help="the municipality's slug, e.g. shkoder")
        imp.add_argument("file", help="the statement file")
        imp.add_argument("--iban", default="", help="the account's IBAN (CSV files only)")
        acc = sub.add_parser("accrue-penalties", help="book penalties and interest to a day")
        acc.add_argument("municipality", help="the municipality's slug, e.g. shkoder")
        acc.add_argument("--on", default="", help="the day (YYYY-MM-DD), default today")

    def handle(self, *args, **options):
        municipality = Municipality.objects.filter(slug=options["municipality"]).first()
        if municipality is None:
            self.stderr.write(f"unknown municipality {options['municipality']!r}")
            sys.exit(3)
        if options["action"] == "accrue-penalties":
            self._accrue(municipality, options["on"])
            return
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.stderr.write(f"cannot read {path}: {exc.strerror}")
            sys.exit(3)
        try:
            summary = import_file(
                municipality, data, file_name=path.name, iban=options["iban"], actor="cli"
            )
        except DuplicateStatement as exc:
            self.stderr.write(f"nothing posted: {exc}")
            sys.exit(2)
        except StatementError as exc:
            self.stderr.write(f"nothing posted: bad statement file: {exc}")
            sys.exit(1)
        for note in summary.notes:
            self.stdout.write(note)
        self.stdout.write(summary.line())

    def _accrue(self, municipality, on: str):
        from datetime import date

        from django.utils import timezone

        from sportel.revenue.penalties import accrue_municipality

        try:
            day = date.fromisoformat(on) if on else timezone.localdate()
        except ValueError:
            self.stderr.write(f"not a date (YYYY-MM-DD): {on!r}")
            sys.exit(1)
        result = accrue_municipality(municipality, on=day, actor=None)
        self.stdout.write(
            f"accrued through {day.isoformat()}: {result.taxpayers} taxpayers checked, "
            f"{result.demands} penalty/interest revisions booked"
        )
