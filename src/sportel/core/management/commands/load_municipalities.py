from django.core.management.base import BaseCommand

from sportel.core.tenancy import load_municipalities


class Command(BaseCommand):
    help = "Load Albania's municipalities and administrative units (all 61, or --only SLUG,SLUG)."

    def add_arguments(self, parser):
        parser.add_argument("--only", help="comma-separated slugs, e.g. shkoder,lezhe")

    def handle(self, *args, only=None, **options):
        slugs = {s.strip() for s in only.split(",")} if only else None
        count = load_municipalities(slugs)
        self.stdout.write(f"loaded {count} municipalities")
