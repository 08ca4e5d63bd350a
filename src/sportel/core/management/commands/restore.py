from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sportel.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database's content with a backup made by `sportel backup`. Stop the app "
        "servers and workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, file: Path, database: str, interactive: bool, **options):
        if interactive:
            answer = input(
                f"This replaces every row in the '{database}' database with {file}. "
                "Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            notes = restore(file, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for note in notes:
            self.stdout.write(note)
        self.stdout.write(f"Restored {file}.")
