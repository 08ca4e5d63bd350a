"""Compile every .po catalogue to .mo with polib, so no system gettext is needed to run."""

from pathlib import Path

import polib
from django.core.management.base import BaseCommand

import sportel


class Command(BaseCommand):
    help = "Compile Sportel's translation catalogues (.po → .mo)."

    def handle(self, *args, **options):
        root = Path(sportel.__file__).parent
        count = 0
        for po_path in root.glob("**/locale/*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            count += 1
        if count:
            # This process may already hold the catalogues it read before the .mo files existed
            # (a first `sportel demo` compiles, seeds and then serves in one process): drop them.
            from django.utils.translation.reloader import translation_file_changed

            translation_file_changed(sender=None, file_path=Path("catalogue.mo"))
        if options["verbosity"]:
            self.stdout.write(f"compiled {count} catalogues")
