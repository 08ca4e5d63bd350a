from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sportel.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up to FILE everything a restore needs: the database (SQLite copy or pg_dump "
        "archive), the keys under SPORTEL_DATA_DIR/keys, emblems and local media files. Keys "
        "kept elsewhere are named, not copied. Restore with: sportel restore FILE"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *args, file: Path, database: str, **options):
        try:
            info = backup(file, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for item in info.not_included:
            self.stdout.write(f"NOT INCLUDED, copy it yourself: {item}")
        self.stdout.write(
            f"{info.vendor} backup written to {info.path} ({info.size} bytes, {info.files} "
            "entries; it holds private keys: keep it as safe as they are)"
        )
