"""A backup holds what a restore needs: restored into a fresh data directory, the audit chain and
the transparency log verify, with the same log key; nothing creates a log key by verifying."""

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_restored_into_a_fresh_data_dir_verifies(issue, settings, tmp_path, capsys):
    from sportel.documents import translog
    from sportel.documents.keys import log_key_path

    document = issue()
    translog.publish_sth()
    old_key = log_key_path().read_bytes()
    file = tmp_path / "backups" / "sportel.backup"
    call_command("backup", str(file))
    assert "backup written to" in capsys.readouterr().out

    fresh = tmp_path / "elsewhere"
    settings.DATA_DIR = fresh
    settings.MEDIA_ROOT = fresh / "media"
    call_command("restore", str(file), "--no-input")

    assert log_key_path().read_bytes() == old_key
    call_command("audit", "verify")
    call_command("documents", "verify-log")
    out = capsys.readouterr().out
    assert "transparency log intact" in out and "1 signed tree heads verified" in out
    assert (fresh / "media" / document.pdf.name).read_bytes() == document.pdf.read()


def test_verifying_without_the_log_key_fails_and_creates_no_key(issue, settings, tmp_path):
    from sportel.documents import translog
    from sportel.documents.keys import log_key_path

    issue()
    translog.publish_sth()
    settings.DATA_DIR = tmp_path / "no-keys"  # a restore that forgot the keys
    with pytest.raises(CommandError, match="transparency log broken"):
        call_command("documents", "verify-log")
    assert not log_key_path().exists()
    with pytest.raises(CommandError, match="log key is missing"):
        call_command("documents", "publish-sth", "--force")
    assert not log_key_path().exists()


def test_a_backup_naming_a_key_kept_elsewhere_is_refused_until_it_is_there(
    issue, settings, tmp_path, monkeypatch, capsys
):
    from sportel.core.models import Person

    issue()
    outside = tmp_path / "hsm-export" / "seal.p12"
    outside.parent.mkdir()
    outside.write_bytes((settings.DATA_DIR / "keys" / "shkoder" / "seal.p12").read_bytes())
    monkeypatch.setenv("SPORTEL_SEAL_SHKODER_P12", str(outside))
    file = tmp_path / "sportel.backup"
    call_command("backup", str(file))
    assert f"NOT INCLUDED, copy it yourself: SPORTEL_SEAL_SHKODER_P12={outside}" in (
        capsys.readouterr().out
    )
    people = Person.objects.count()
    monkeypatch.delenv("SPORTEL_SEAL_SHKODER_P12")
    with pytest.raises(CommandError, match="SPORTEL_SEAL_SHKODER_P12"):
        call_command("restore", str(file), "--no-input")
    assert Person.objects.count() == people
    monkeypatch.setenv("SPORTEL_SEAL_SHKODER_P12", str(outside))
    call_command("restore", str(file), "--no-input")
