"""`sportel backup` / `sportel restore`: a round trip brings the data back, on SQLite and
PostgreSQL; a wrong or damaged file is refused without touching the database."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sportel.core import audit
from sportel.core.models import Person
from sportel.core.services import register_person


def names() -> list[str]:
    return sorted(Person.objects.values_list("first_name", flat=True))


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_brings_the_data_back(shkoder, tmp_path, capsys):
    register_person(shkoder, nid="J45102033M", first_name="Arta", last_name="Gjoka")
    register_person(shkoder, nid=None, first_name="Besnik", last_name="Marku")
    file = tmp_path / "backups" / "sportel.backup"

    call_command("backup", str(file))
    assert f"backup written to {file}" in capsys.readouterr().out

    Person.objects.filter(first_name="Arta").update(first_name="Changed")
    Person.objects.filter(first_name="Besnik").delete()
    register_person(shkoder, nid=None, first_name="Created", last_name="Later")
    assert names() == ["Changed", "Created"]

    call_command("restore", str(file), "--no-input")

    assert names() == ["Arta", "Besnik"]
    assert Person.objects.get(first_name="Arta").nid == "J45102033M"
    assert all(report.broken_at is None for report in audit.verify_all())
    # The database keeps working after the restore: new rows get fresh ids.
    register_person(shkoder, nid=None, first_name="After", last_name="Restore")
    assert names() == ["After", "Arta", "Besnik"]


@pytest.mark.django_db(transaction=True)
def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(shkoder, tmp_path):
    register_person(shkoder, nid=None, first_name="Arta", last_name="Gjoka")
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    with pytest.raises(CommandError, match="neither an SQLite database nor a pg_dump"):
        call_command("restore", str(junk), "--no-input")
    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore", str(tmp_path / "missing.backup"), "--no-input")
    assert names() == ["Arta"]


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_other_kind_of_database_is_refused(shkoder, tmp_path):
    other = tmp_path / "other.backup"
    other.write_bytes(
        b"PGDMP\x01\x0e\x00"
        if connection.vendor == "sqlite"
        else b"SQLite format 3\x00" + b"\0" * 84
    )
    other_kind = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    with pytest.raises(CommandError, match=f"is a {other_kind} backup"):
        call_command("restore", str(other), "--no-input")


@pytest.mark.django_db(transaction=True)
def test_restore_asks_before_replacing_the_data(shkoder, tmp_path, monkeypatch):
    file = tmp_path / "sportel.backup"
    call_command("backup", str(file))
    register_person(shkoder, nid=None, first_name="Kept", last_name="Row")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Restore cancelled"):
        call_command("restore", str(file))
    assert names() == ["Kept"]
