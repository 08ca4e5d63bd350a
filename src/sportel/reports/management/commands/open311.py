from django.core.management.base import BaseCommand, CommandError

from sportel.core.models import Municipality
from sportel.reports.services import add_api_key


class Command(BaseCommand):
    help = "Open311 keys: `sportel open311 add-key <municipality> <app name>` prints the new key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add-key", help="issue an api_key for an application")
        add.add_argument("municipality", help="the municipality's slug, e.g. shkoder")
        add.add_argument("app", nargs="+", help="the application's name")

    def handle(self, *args, action=None, municipality=None, app=(), **options):
        found = Municipality.objects.filter(slug=municipality).first()
        if found is None:
            raise CommandError(f"unknown municipality: {municipality}")
        name = " ".join(app)
        key = add_api_key(found, name, actor="cli")
        self.stdout.write(f"Open311 api_key for {name} in {found.slug} (shown once):")
        self.stdout.write(key)
