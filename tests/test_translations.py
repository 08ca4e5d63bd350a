"""Every user-facing string is translated, in Albanian and in English, in its own app's catalogue.

For each app under src/sportel/ the test runs Django's ``makemessages`` (the extraction that
``./scripts/messages`` runs) on a copy of the app in a temporary directory, so the working tree
is never touched, and compares the strings found with ``<app>/locale/{sq,en}/LC_MESSAGES/
django.po``. A msgid missing from a catalogue, or present with an empty or fuzzy translation,
fails the test with the app, the language and the msgids. The compiled ``.mo`` files must match
their ``.po`` (``sportel compile-messages`` brings them up to date).

Needs GNU gettext's xgettext (``apt-get install gettext``), as ``./scripts/messages`` does.
"""

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

import sportel

SRC = Path(sportel.__file__).parent
LANGUAGES = ("sq", "en")
APPS = sorted(path.parent.name for path in SRC.glob("*/apps.py"))
# What makemessages must not read in the copy: compiled assets, caches, the catalogues themselves.
NOT_SOURCE = shutil.ignore_patterns("locale", "static", "__pycache__", "*.pyc", "var", "assets")


def _key(entry: polib.POEntry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def _label(key: tuple[str, str]) -> str:
    context, msgid = key
    return f"[{context}] {msgid!r}" if context else repr(msgid)


def _translated(entry: polib.POEntry) -> bool:
    if "fuzzy" in entry.flags:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, dict[tuple[str, str], polib.POEntry]]:
    """{app: {(context, msgid): entry}} as makemessages finds them in the app's source."""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext not found: install GNU gettext (apt-get install gettext)")
    root = tmp_path_factory.mktemp("messages")
    found = {}
    cwd = Path.cwd()
    for app in APPS:
        copy = root / app
        shutil.copytree(SRC / app, copy, ignore=NOT_SOURCE)
        (copy / "locale").mkdir()
        try:
            os.chdir(copy)
            call_command("makemessages", locale=["sq"], no_location=True, verbosity=0)
        finally:
            os.chdir(cwd)
        po_path = copy / "locale" / "sq" / "LC_MESSAGES" / "django.po"
        entries = polib.pofile(str(po_path)) if po_path.exists() else []
        found[app] = {_key(entry): entry for entry in entries if not entry.obsolete}
    return found


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("app", APPS)
def test_every_string_of_the_app_is_translated(extracted, app, language):
    wanted = extracted[app]
    po_path = SRC / app / "locale" / language / "LC_MESSAGES" / "django.po"
    if not wanted:
        return  # an app with no user-facing strings needs no catalogue
    assert po_path.exists(), (
        f"{app} has {len(wanted)} translatable strings but no {language} catalogue: "
        f"run ./scripts/messages and translate src/sportel/{app}/locale/{language}/"
    )
    catalogue = {_key(entry): entry for entry in polib.pofile(str(po_path)) if not entry.obsolete}
    missing = sorted(set(wanted) - set(catalogue))
    untranslated = sorted(
        key for key in wanted if key in catalogue and not _translated(catalogue[key])
    )
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} msgid(s) missing from {po_path.relative_to(SRC.parent.parent)} "
            "(run ./scripts/messages):\n  " + "\n  ".join(_label(key) for key in missing)
        )
    if untranslated:
        problems.append(
            f"{len(untranslated)} msgid(s) with an empty or fuzzy translation in "
            f"{po_path.relative_to(SRC.parent.parent)}:\n  "
            + "\n  ".join(_label(key) for key in untranslated)
        )
    assert not problems, f"{app} ({language}): " + "\n".join(problems)


@pytest.mark.parametrize(
    "po_path",
    sorted(SRC.glob("*/locale/*/LC_MESSAGES/*.po")),
    ids=lambda path: str(path.relative_to(SRC)),
)
def test_compiled_catalogue_matches_its_source(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run `sportel compile-messages`"
    compiled = polib.mofile(str(mo_path))
    source = polib.pofile(str(po_path))
    expected = {
        _key(entry): (entry.msgstr_plural and dict(sorted(entry.msgstr_plural.items())))
        or entry.msgstr
        for entry in source.translated_entries()
    }
    actual = {
        _key(entry): (entry.msgstr_plural and dict(sorted(entry.msgstr_plural.items())))
        or entry.msgstr
        for entry in compiled
        if entry.msgid
    }
    assert actual == expected, f"{mo_path} is out of date: run `sportel compile-messages`"


@pytest.mark.parametrize("app", APPS)
def test_the_english_catalogue_repeats_the_english_source(app):
    """msgids are English, so an English msgstr that differs is almost always a guess that
    msgmerge made (a "fuzzy" match to a similar string) and someone un-flagged."""
    po_path = SRC / app / "locale" / "en" / "LC_MESSAGES" / "django.po"
    if not po_path.exists():
        return
    wrong = []
    for entry in polib.pofile(str(po_path)).translated_entries():
        if entry.msgid_plural:
            expected = {0: entry.msgid, 1: entry.msgid_plural}
            actual = {int(k): v for k, v in entry.msgstr_plural.items()}
        else:
            expected, actual = entry.msgid, entry.msgstr
        if actual != expected:
            wrong.append(f"{_label(_key(entry))} -> {actual!r}")
    assert not wrong, f"{po_path.relative_to(SRC.parent.parent)}:\n  " + "\n  ".join(wrong)
