"""Proposal photos live in the project's file storage like every other upload (checked,
type-sniffed, re-encoded without metadata), and migration 0004 moves the photos that were
kept in the database there."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from PIL import Image

from sportel.participation import follows, proposals
from sportel.participation.models import Proposal, ProposalImage


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (60, 40), (120, 160, 40))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (42.0, 3.0, 0.0), 3: "E", 4: (19.0, 30.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_stored_as_a_file_without_its_gps_position_and_served(
    shkoder, make_resident, media, client
):
    sent = jpeg_with_gps()
    assert Image.open(io.BytesIO(sent)).getexif()  # the camera's metadata is there
    proposal = proposals.create_proposal(
        shkoder,
        author=make_resident(shkoder),
        title="Park",
        body="Pemë.",
        image=SimpleUploadedFile("IMG_0001.jpg", sent, content_type="image/jpeg"),
    )
    image = proposal.images.get()
    assert image.file.name.startswith(f"participation/{shkoder.pk}/")
    assert image.file.name.endswith(".jpg") and "IMG_0001" not in image.file.name
    on_disk = media / image.file.name
    assert on_disk.is_file()
    stored = Image.open(on_disk)
    assert stored.format == "JPEG" and not stored.getexif()
    assert "content" not in {f.name for f in ProposalImage._meta.get_fields()}

    url = reverse(
        "participation:proposal-image",
        kwargs={"municipality_slug": "shkoder", "pk": proposal.pk, "image": image.pk},
    )
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == on_disk.read_bytes()
    # Another municipality's path never serves it.
    assert client.get(url.replace("/shkoder/", "/lezhe/")).status_code == 404


def test_a_png_sent_as_jpg_is_stored_as_png_and_a_pdf_is_refused(shkoder, make_resident, media):
    png = io.BytesIO()
    Image.new("RGB", (10, 10)).save(png, "PNG")
    proposal = proposals.create_proposal(
        shkoder,
        author=make_resident(shkoder),
        title="Park",
        body="Pemë.",
        image=SimpleUploadedFile("photo.jpg", png.getvalue(), content_type="image/jpeg"),
    )
    assert proposal.images.get().file.name.endswith(".png")
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        proposals.create_proposal(
            shkoder, author=make_resident(shkoder), title="P", body="B", image=pdf
        )
    assert "image" in refused.value.message_dict
    assert Proposal.objects.count() == 1
    assert len(list((media / "participation").rglob("*.*"))) == 1


def test_a_proposal_that_is_not_saved_leaves_no_file_behind(
    shkoder, make_resident, media, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(follows, "follow", broken)
    png = io.BytesIO()
    Image.new("RGB", (10, 10)).save(png, "PNG")
    with pytest.raises(RuntimeError):
        proposals.create_proposal(
            shkoder,
            author=make_resident(shkoder),
            title="Park",
            body="Pemë.",
            image=SimpleUploadedFile("p.png", png.getvalue(), content_type="image/png"),
        )
    assert not Proposal.objects.exists() and not ProposalImage.objects.exists()
    assert not list(media.rglob("*.png"))


@pytest.mark.django_db(transaction=True)
def test_migration_0004_moves_photos_from_the_database_to_files_and_back(
    shkoder, make_resident, media
):
    proposal = proposals.create_proposal(
        shkoder, author=make_resident(shkoder), title="Park", body="Pemë."
    )
    photo = jpeg_with_gps()  # as it was stored: checked already; the bytes are kept as they are
    before, after = (
        [("participation", "0003_milestones")],
        [("participation", "0004_proposal_images_in_file_storage")],
    )
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("participation", "ProposalImage")
        row = old.objects.create(proposal_id=proposal.pk, content_type="image/jpeg", content=photo)

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        moved = ProposalImage.objects.get(pk=row.pk)
        assert moved.file.name.startswith(f"participation/{shkoder.pk}/")
        assert moved.file.name.endswith(".jpg")
        assert (media / moved.file.name).read_bytes() == photo

        executor = MigrationExecutor(connection)
        executor.migrate(before)
        back = executor.loader.project_state(before).apps.get_model(
            "participation", "ProposalImage"
        )
        assert bytes(back.objects.get(pk=row.pk).content) == photo
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
