"""``sportel opendata publish [<municipality>] [--now]``: publish every module's statistics feeds.
``sportel opendata cleanup``: remove staged uploads never published and older than a day.
``sportel opendata reindex``: rewrite every public search document (after rows were changed
outside the services, e.g. a bulk import or a database restore from before migration 0004).

Without ``--now`` the publication is queued for the worker (which then re-queues it daily);
with ``--now`` it runs here. The last line names how many datasets changed."""

from django.core.management.base import BaseCommand, CommandError

from sportel.core.models import Municipality


class Command(BaseCommand):
    help = "Open data tools. `sportel opendata publish` publishes every module's statistics."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        publish = sub.add_parser("publish", help="publish the statistics feeds as datasets")
        publish.add_argument("municipality", nargs="?", help="a municipality's slug (all if none)")
        publish.add_argument("--now", action="store_true", help="run here, not in the worker")
        sub.add_parser("cleanup", help="remove staged uploads never published, older than a day")
        sub.add_parser("reindex", help="rewrite the public search documents of every dataset")

    def handle(self, *args, action, municipality=None, now=False, **options):
        from django.db import transaction

        from sportel.opendata import search_index, services, staging, tasks

        if action == "reindex":
            with transaction.atomic():
                written = search_index.reindex_all()
            self.stdout.write(f"{written} search document(s) written")
            return
        if action == "cleanup":
            self.stdout.write(f"{staging.remove_stale()} staged upload(s) removed")
            return
        municipalities = Municipality.objects.filter(is_active=True)
        if municipality:
            municipalities = municipalities.filter(slug=municipality)
            if not municipalities.exists():
                raise CommandError(f"no active municipality {municipality!r}")
        if not now:
            for item in municipalities:
                tasks.publish_feeds.enqueue(item.pk, reschedule=True)
            tasks.refresh_resources.enqueue(reschedule=True)  # scheduled refreshes, hourly
            tasks.clean_staged_uploads.enqueue(reschedule=True)  # stale staged uploads, daily
            self.stdout.write(f"queued {municipalities.count()} publication(s) for the worker")
            return
        changed = []
        for item in municipalities:
            changed += services.publish_feeds(item)
        for name in changed:
            self.stdout.write(name)
        self.stdout.write(f"{len(changed)} dataset(s) changed")
