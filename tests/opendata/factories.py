"""Objects the open data tests and the tenancy harness share."""

from django.core.files.uploadedfile import SimpleUploadedFile

from sportel.accounts.models import User

GOOD_CSV = "viti,njesia,familje\n2024,Shkodër,120\n2025,Shkodër,131\n2025,Rrethinat,47\n"


def publisher(municipality) -> User:
    from sportel.accounts.models import StaffRole

    user = User.objects.create_user(
        f"publisher{User.objects.count()}.{municipality.slug}@test.sportel.al",
        "x",
        confirmed_at="2026-01-01T00:00Z",
    )
    StaffRole.objects.create(user=user, municipality=municipality, role="manager")
    return user


def dataset(municipality, title="Familje që marrin ndihmë ekonomike"):
    from sportel.opendata import services

    return services.create_dataset(
        municipality,
        publisher(municipality),
        title=title,
        license_id="CC0-1.0",
        themes=["SOCI"],
        tags=["ndihme"],
    )


def staged(municipality, content: str = GOOD_CSV, filename="familje.csv", title=None):
    from sportel.opendata import staging

    item = dataset(municipality, title) if title else dataset(municipality)
    upload = SimpleUploadedFile(filename, content.encode("utf-8"), content_type="text/csv")
    return staging.stage(municipality, publisher(municipality), upload, dataset=item)
