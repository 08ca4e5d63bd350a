"""Demo: every module's feeds published for the demo municipalities, and one dataset a
publisher uploaded (a monthly series, so the portal shows its chart). Idempotent."""

import random

from sportel.core.demo import DEMO_MUNICIPALITIES, register_demo

DEMO_DATASET = "shkoder-ndricimi-publik-defekte"


@register_demo(finish=True)
def publish_demo_open_data() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sportel.core.models import Municipality

    from . import services, staging
    from .models import Dataset

    for municipality in Municipality.objects.filter(slug__in=DEMO_MUNICIPALITIES):
        services.publish_feeds(municipality)
    shkoder = Municipality.objects.filter(slug="shkoder").first()
    dataset = Dataset.objects.filter(name=DEMO_DATASET).first()
    if shkoder is None or (dataset is not None and dataset.resources.exists()):
        return
    generator = random.Random(12)  # noqa: S311 -- demo figures, not secrets
    lines = ["muaji,njesia,defekte,riparuar_brenda_7_ditesh"]
    for month in range(1, 13):
        for unit in ("Shkodër", "Postribë", "Guri i Zi"):
            faults = generator.randint(8, 60)
            lines.append(f"2025-{month:02d},{unit},{faults},{generator.randint(5, faults)}")
    dataset = dataset or services.create_dataset(
        shkoder,
        "demo",
        name=DEMO_DATASET,
        title="Ndriçimi publik: defekte të raportuara sipas muajit (demo)",
        title_en="Street lighting: faults reported per month (demo)",
        notes="Të dhëna shembull për demonstrim.",
        notes_en="Sample figures for the demo.",
        license_id="CC-BY-4.0",
        frequency="MONTHLY",
        themes=["ENER", "REGI"],
        tags=["ndricim", "demo"],
    )
    upload = staging.stage(
        shkoder,
        None,
        SimpleUploadedFile("defekte.csv", ("\n".join(lines) + "\n").encode()),
        dataset=dataset,
    )
    services.publish_upload(upload, "demo", dataset=dataset, rows=staging.rows_of(upload))
