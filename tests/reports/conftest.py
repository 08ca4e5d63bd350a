import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sportel.accounts.roles import Role

DAJC = (Decimal("41.982600"), Decimal("19.423300"))


@pytest.fixture
def categories(shkoder, lezhe):
    from sportel.reports.catalogue import load_categories

    load_categories(shkoder)
    load_categories(lezhe)


@pytest.fixture
def channel_category(shkoder, categories):
    from sportel.reports.models import Category

    return Category.objects.get(municipality=shkoder, code="irrigation-channel")


@pytest.fixture
def specialist(shkoder, make_staff):
    return make_staff(shkoder, Role.SPECIALIST)


@pytest.fixture
def manager(shkoder, make_staff):
    return make_staff(shkoder, Role.MANAGER)


@pytest.fixture
def clerk(shkoder, make_staff):
    return make_staff(shkoder, Role.CLERK)


def jpeg(size=(40, 30), exif_gps=False) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, (120, 160, 40))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "CameraMaker"  # Make
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def photo_upload(name="photo.jpg", content=None):
    return SimpleUploadedFile(name, content or jpeg(), content_type="image/jpeg")


def file_one(municipality, category, *, email="banor@test.al", lat=None, long=None, n=0, **kw):
    from sportel.reports import services

    lat = lat if lat is not None else DAJC[0] + Decimal(n) * Decimal("0.0001")
    long = long if long is not None else DAJC[1]
    kw.setdefault("answers", {"channel_type": "secondary"})
    kw.setdefault("confirmed", True)
    return services.file_report(
        municipality,
        category=category,
        place=services.Place(lat=lat, long=long, address="Kanali i Dajçit"),
        description=kw.pop("description", "Kanali është bllokuar."),
        email=email,
        **kw,
    ).report


AREA_TASK = "sportel.reports.tasks.notify_area_subscribers"


def run_area_notices() -> int:
    """Run the queued area-notice tasks here, as the worker would; returns how many ran."""
    from django_tasks_db.models import DBTaskResult

    from sportel.reports.tasks import notify_area_subscribers

    ran = 0
    for row in DBTaskResult.objects.filter(task_path=AREA_TASK, status="READY").order_by("pk"):
        notify_area_subscribers.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        DBTaskResult.objects.filter(pk=row.pk).update(status="SUCCESSFUL")
        ran += 1
    return ran
