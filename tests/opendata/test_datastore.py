"""The datastore on its own: the SELECT checker, searches, and all-or-nothing publication."""

import pytest

from sportel.opendata import datastore

TABLE = "6f1c2a5e-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    "sql",
    [
        f'SELECT * FROM "{TABLE}"',
        f'select count(*) as n, "unit" from "{TABLE}" where "year" = 2024 group by "unit"',
        f'SELECT a.x FROM "{TABLE}" a JOIN "{TABLE}" b ON a._id = b._id',
        f'SELECT * FROM (SELECT * FROM "{TABLE}") AS inner_rows',
        f'SELECT * FROM "{TABLE}";',
    ],
)
def test_single_selects_over_datastore_tables_pass(sql):
    datastore.check_select(sql, {TABLE})


@pytest.mark.parametrize(
    "sql",
    [
        "",
        f'DELETE FROM "{TABLE}"',
        f'SELECT 1; SELECT * FROM "{TABLE}"',
        f'SELECT * INTO copy FROM "{TABLE}"',
        f'SELECT * FROM "{TABLE}" FOR UPDATE',
        "SELECT * FROM accounts_user",
        f'SELECT * FROM "{TABLE}", core_person',
        "SELECT * FROM main.sqlite_master",
        f"SELECT lo_import('/etc/passwd') FROM \"{TABLE}\"",
        f"SELECT load_extension('x') FROM \"{TABLE}\"",
        "PRAGMA table_info(core_person)",
        f'WITH t AS (SELECT 1) SELECT * FROM "{TABLE}"',
        f'SELECT * FROM "{TABLE}" UNION SELECT * FROM core_person',
    ],
)
def test_everything_else_is_refused(sql):
    with pytest.raises(datastore.SQLRefused):
        datastore.check_select(sql, {TABLE})


@pytest.mark.django_db
def test_a_failed_load_publishes_nothing(shkoder, monkeypatch, settings, tmp_path):
    from sportel.opendata import services
    from sportel.opendata.models import ResourceVersion, StagedUpload
    from tests.opendata.factories import publisher, staged

    settings.MEDIA_ROOT = tmp_path / "media"
    upload = staged(shkoder)
    rows = [{"viti": 2024, "njesia": "Shkodër", "familje": 1}]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(datastore, "load", broken)
    with pytest.raises(RuntimeError):
        services.publish_upload(upload, publisher(shkoder), dataset=upload.dataset, rows=rows)
    assert not ResourceVersion.objects.exists()
    assert StagedUpload.objects.get(pk=upload.pk).published_at is None
    upload.dataset.refresh_from_db()
    assert upload.dataset.state == "draft"
