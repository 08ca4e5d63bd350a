from django.core.management.base import BaseCommand, CommandError

from sportel.core import audit


class Command(BaseCommand):
    help = "Audit log tools. `sportel audit verify` recomputes every hash chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="recompute every chain and name the first broken entry")

    def handle(self, *args, action: str, **options):
        reports = audit.verify_all()
        broken = [r for r in reports if r.broken_at is not None]
        for report in reports:
            if report.broken_at is None:
                self.stdout.write(f"ok      {report.chain}: {report.entries} entries")
            else:
                self.stdout.write(
                    f"BROKEN  {report.chain}: first broken entry #{report.broken_at}: {report.problem}"
                )
        if broken:
            raise CommandError(f"{len(broken)} audit chain(s) broken")
        self.stdout.write(
            f"audit log intact: {sum(r.entries for r in reports)} entries in {len(reports)} chains"
        )
