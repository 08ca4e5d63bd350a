from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sportel.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database to FILE: an SQLite copy (online backup API) or a pg_dump custom "
        "archive. Restore with: sportel restore FILE"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *args, file: Path, database: str, **options):
        try:
            info = backup(file, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{info.vendor} backup written to {info.path} ({info.size} bytes)")
