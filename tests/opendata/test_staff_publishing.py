"""Staff upload a CSV or XLSX file, read the validation report row by row, fix the schema,
preview and publish; replace a file with a new version. Bad files get a clear error and leave
nothing published."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sportel.opendata import datastore
from sportel.opendata.models import Dataset, Resource, StagedUpload

pytestmark = pytest.mark.django_db

BAD_CSV = "viti,njesia,familje\n2024,Shkodër,120\n2025,Shkodër,njëqind\n2025,Rrethinat,47\n"


@pytest.fixture
def staff(shkoder, make_staff, verified_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_staff(shkoder, "manager")
    return verified_client(user)


def _url(url_name, **kwargs):
    return reverse(url_name, kwargs={"municipality_slug": "shkoder", **kwargs})


def _create(staff, title="Familje me ndihmë ekonomike"):
    response = staff.post(
        _url("opendata-staff:new"),
        {
            "title": title,
            "title_en": "Families on economic assistance",
            "license_id": "CC-BY-4.0",
            "frequency": "ANNUAL",
            "themes": ["SOCI"],
            "tags": "ndihme, familje",
        },
    )
    assert response.status_code == 302, response.content[:500]
    return Dataset.objects.get(title=title)


def _upload(staff, dataset, name, content: bytes, **extra):
    return staff.post(
        _url("opendata-staff:upload-file", name=dataset.name),
        {"file": SimpleUploadedFile(name, content), **extra},
    )


def test_upload_fix_a_validation_error_publish_and_replace(staff, shkoder):
    dataset = _create(staff)
    response = _upload(staff, dataset, "familje.csv", BAD_CSV.replace("njëqind", "1x0").encode())
    assert response.status_code == 302
    upload = StagedUpload.objects.get()
    # "1x0" in an integer column: inferred as string, so the file is valid as it stands...
    page = staff.get(response.url)
    assert page.status_code == 200
    # ...until staff say the column holds numbers: then row 3 is reported, with its value.
    fields = upload.schema["fields"]
    assert [f["name"] for f in fields] == ["viti", "njesia", "familje"]
    post = {f"type-{i}": f["type"] for i, f in enumerate(fields)}
    post.update({f"title-{i}": f["name"].title() for i, f in enumerate(fields)})
    post["type-2"] = "integer"
    post["title-2"] = "Familje"
    report = staff.post(response.url, post)
    assert report.status_code == 400
    html = report.content.decode()
    assert 'id="validation-report"' in html and "1x0" in html
    upload.refresh_from_db()
    assert upload.valid is False
    assert [(e["row"], e["field"]) for e in upload.report["errors"]] == [(3, "familje")]
    refused = staff.post(_url("opendata-staff:publish", pk=upload.pk))
    assert refused.status_code == 302
    assert not Resource.objects.exists()

    # The clerk fixes the file and uploads it again; the schema is inferred afresh.
    fixed = _upload(staff, dataset, "familje.csv", BAD_CSV.replace("njëqind", "100").encode())
    upload = StagedUpload.objects.latest("pk")
    assert upload.valid and upload.schema["fields"][2]["type"] == "integer"
    page = staff.get(fixed.url)
    assert 'id="publish"' in page.content.decode() and "Rrethinat" in page.content.decode()
    published = staff.post(_url("opendata-staff:publish", pk=upload.pk))
    assert published.status_code == 302
    resource = Resource.objects.get()
    dataset.refresh_from_db()
    assert dataset.state == "active" and resource.current.number == 1
    found = datastore.search(
        resource.pk, resource.current.schema, {"filters": {"viti": 2025}, "sort": "familje desc"}
    )
    assert found.records[0]["familje"] == 100 and found.total == 2
    assert staff.post(_url("opendata-staff:publish", pk=upload.pk)).status_code == 302
    assert resource.versions.count() == 1  # publishing twice publishes once

    public = staff.get(reverse("opendata:dataset", kwargs={"name": dataset.name}))
    assert public.status_code == 200 and "Rrethinat" in public.content.decode()

    # A new version replaces the file; the old one stays downloadable.
    _upload(
        staff,
        dataset,
        "familje-2.csv",
        "viti,njesia,familje\n2026,Shkodër,140\n".encode(),
        resource=str(resource.pk),
    )
    again = StagedUpload.objects.latest("pk")
    staff.post(_url("opendata-staff:publish", pk=again.pk))
    resource.refresh_from_db()
    assert resource.current.number == 2 and resource.versions.count() == 2
    assert datastore.search(resource.pk, resource.current.schema, {}).total == 1
    old = resource.versions.get(number=1)
    from sportel.opendata.selectors import download_path

    assert b"Rrethinat" in b"".join(staff.get(download_path(resource, old)).streaming_content)


def test_bad_files_get_clear_errors_and_store_nothing(staff, settings):
    dataset = _create(staff)
    settings.SPORTEL_OPEN_DATA_MAX_UPLOAD_MB = 1
    too_big = _upload(staff, dataset, "big.csv", b"a,b\n" + b"1,2\n" * 300_000)
    assert too_big.status_code == 413 and "1 MB" in too_big.content.decode()
    settings.SPORTEL_OPEN_DATA_MAX_UPLOAD_MB = 2  # just under: read, then refused by its size
    near = _upload(staff, dataset, "big.csv", b"a,b\n" + b"1,2\n" * 530_000)
    assert near.status_code == 400 and "2 MB" in near.content.decode()
    not_csv = _upload(staff, dataset, "photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    assert "CSV" in not_csv.content.decode()
    binary = _upload(staff, dataset, "data.csv", b"a,b\n\x00\x01\x02,3\n")
    assert binary.status_code == 400
    fake_xlsx = _upload(staff, dataset, "data.xlsx", b"a,b\n1,2\n")
    assert "Excel" in fake_xlsx.content.decode()
    assert not StagedUpload.objects.exists()

    english = staff.post(
        "/en" + _url("opendata-staff:upload-file", name=dataset.name),
        {"file": SimpleUploadedFile("photo.png", b"\x89PNG")},
    )
    assert "Upload a CSV or an Excel (.xlsx) file." in english.content.decode()


def test_a_windows_1250_file_is_read_and_stored_as_utf8(staff):
    dataset = _create(staff)
    content = "njësia,çështje\nShkodër,Rrugë e dëmtuar\nPostribë,Ujitje\n" * 20
    response = _upload(staff, dataset, "ceshtje.csv", content.encode("cp1250"))
    assert response.status_code == 302
    upload = StagedUpload.objects.get()
    assert upload.encoding.replace("_", "").replace("-", "") in {
        "cp1250",
        "windows1250",
        "iso88592",
        "cp1252",
    }
    with upload.file.open("rb") as handle:
        assert "Shkodër" in handle.read().decode("utf-8")


def test_an_xlsx_file_is_published(staff):
    from openpyxl import Workbook

    dataset = _create(staff)
    book = Workbook()
    sheet = book.active
    sheet.append(["muaji", "kerkesa"])
    for month in range(1, 7):
        sheet.append([f"2026-0{month}", 10 * month])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(staff, dataset, "kerkesa.xlsx", buffer.getvalue())
    assert response.status_code == 302
    upload = StagedUpload.objects.get()
    assert upload.format == "XLSX" and upload.valid
    staff.post(_url("opendata-staff:publish", pk=upload.pk))
    resource = Resource.objects.get()
    assert resource.format == "XLSX" and resource.current.mediatype.endswith("sheet")
    found = datastore.search(resource.pk, resource.current.schema, {"sort": "kerkesa desc"})
    assert found.records[0]["kerkesa"] == 60


def test_dataset_form_redisplays_with_errors(staff):
    response = staff.post(_url("opendata-staff:new"), {"title": "", "license_id": "nope"})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()


def test_staged_uploads_never_published_are_removed_after_a_day(shkoder, settings, tmp_path):
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from sportel.opendata import services, staging, tasks
    from sportel.opendata.selectors import download_path
    from tests.opendata import factories

    settings.MEDIA_ROOT = tmp_path / "media"
    old = factories.staged(shkoder)
    fresh = factories.staged(shkoder, title="Familje 2025")
    published = factories.staged(shkoder, title="Familje 2026")
    services.publish_upload(
        published, "tests", dataset=published.dataset, rows=staging.rows_of(published)
    )
    day_ago = timezone.now() - timedelta(hours=25)
    StagedUpload.objects.filter(pk__in=[old.pk, published.pk]).update(created_at=day_ago)

    assert tasks.clean_staged_uploads.call() == 1
    assert set(StagedUpload.objects.values_list("pk", flat=True)) == {fresh.pk, published.pk}
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(fresh.file.name)
    assert default_storage.exists(published.file.name)  # a published version's own file
    resource = Resource.objects.get()
    download = Client().get(download_path(resource, resource.current))
    assert b"Rrethinat" in b"".join(download.streaming_content)  # still downloadable
    StagedUpload.objects.filter(pk=fresh.pk).update(created_at=day_ago)
    out = io.StringIO()
    call_command("opendata", "cleanup", stdout=out)
    assert "1 staged upload(s) removed" in out.getvalue()
    assert not default_storage.exists(fresh.file.name)


def test_staff_state_the_administrative_units_a_dataset_covers(staff, shkoder, lezhe, client):
    """Spatial coverage (DCAT-AP dct:spatial, CKAN ``spatial``) is the municipality's own
    administrative units; another municipality's unit is refused."""
    from sportel.opendata import services, staging
    from tests.opendata import factories

    units = list(shkoder.units.order_by("name")[:2])
    foreign = lezhe.units.first()
    assert len(units) == 2 and foreign is not None
    refused = staff.post(
        _url("opendata-staff:new"),
        {
            "title": "Ujitja",
            "license_id": "CC-BY-4.0",
            "frequency": "ANNUAL",
            "spatial_units": [units[0].pk, foreign.pk],
        },
    )
    assert refused.status_code == 400 and not Dataset.objects.filter(title="Ujitja").exists()
    done = staff.post(
        _url("opendata-staff:new"),
        {
            "title": "Ujitja",
            "license_id": "CC-BY-4.0",
            "frequency": "ANNUAL",
            "spatial_units": [u.pk for u in units],
        },
    )
    assert done.status_code == 302
    dataset = Dataset.objects.get(title="Ujitja")
    assert set(dataset.spatial_units.all()) == set(units)
    upload = factories.staged(shkoder)
    upload.dataset = dataset
    upload.save(update_fields=["dataset"])
    services.publish_upload(upload, "tests", dataset=dataset, rows=staging.rows_of(upload))
    shown = client.get("/api/3/action/package_show", {"id": dataset.name}).json()["result"][
        "spatial"
    ]
    assert shown == [u.name for u in units]
    page = client.get(
        "/en" + reverse("opendata:dataset", kwargs={"name": dataset.name})
    ).content.decode()
    assert all(u.name in page for u in units) and 'id="area-covered"' in page
