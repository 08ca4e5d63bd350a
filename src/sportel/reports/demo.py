"""Demo data: the standard categories in Shkodër and Lezhë, and 30 reports about one blocked
irrigation channel in Dajç (web, an Open311 app and the counter), so the priority list shows
something worth explaining."""

from decimal import Decimal

from sportel.core.demo import DEMO_MUNICIPALITIES, register_demo


@register_demo
def seed_reports() -> None:
    from sportel.core.models import AdministrativeUnit, Municipality

    from . import services
    from .catalogue import load_categories
    from .models import AreaWeight, Category, Report

    for municipality in Municipality.objects.filter(slug__in=DEMO_MUNICIPALITIES):
        load_categories(municipality)
    shkoder = Municipality.objects.filter(slug="shkoder").first()
    if shkoder is None or Report.objects.filter(municipality=shkoder).exists():
        return
    dajc = AdministrativeUnit.objects.get(municipality=shkoder, slug="dajc")
    AreaWeight.objects.get_or_create(
        municipality=shkoder,
        unit=dajc,
        defaults={"weight": Decimal("1.25"), "reason": "Zonë bujqësore e përmbytur shpesh"},
    )
    channel = Category.objects.get(municipality=shkoder, code="irrigation-channel")
    channels = ["web", "open311", "counter", "phone"]
    for n in range(30):
        # Along about 600 m of the same channel, within its 400 m duplicate radius of the first.
        lat = Decimal("41.982600") + Decimal(n % 10) * Decimal("0.000250")
        long = Decimal("19.423300") + Decimal(n // 10) * Decimal("0.000300")
        services.file_report(
            shkoder,
            category=channel,
            place=services.Place(lat=lat, long=long, address="Kanali i Dajçit", unit=dajc),
            description="Kanali vaditës është bllokuar nga mbeturinat dhe bimësia; arat mbeten pa ujë.",
            answers={
                "channel_type": "secondary",
                "cause": ["waste", "vegetation"],
                "fields_dry": "yes",
            },
            channel=channels[n % 4],
            email=f"banor{n + 1:02d}@demo.sportel.al",
            first_name="Banor",
            last_name=f"{n + 1:02d}",
            confirmed=True,
        )
    # The channel has been reported for two months: the reports and their group are dated so.
    from datetime import timedelta

    from django.utils import timezone

    from .models import Cluster

    now = timezone.now()
    for n, report in enumerate(Report.objects.filter(category=channel).order_by("pk")):
        when = now - timedelta(days=60 - 2 * n)
        Report.objects.filter(pk=report.pk).update(requested_at=when, updated_at=when)
        report.events.update(at=when)
    Cluster.objects.filter(category=channel).update(created_at=now - timedelta(days=60))
    others = [
        (
            "pothole",
            "shkoder",
            (Decimal("42.068300"), Decimal("19.512600")),
            6,
            "Gropë e madhe në rrugën Kolë Idromeno.",
        ),
        (
            "streetlight-out",
            "shkoder",
            (Decimal("42.070100"), Decimal("19.509900")),
            4,
            "Tre shtylla ndriçimi të fikura prej një jave.",
        ),
        (
            "uncollected-waste",
            "velipoje",
            (Decimal("41.866700"), Decimal("19.416700")),
            9,
            "Kazanët nuk janë boshatisur prej pesë ditësh.",
        ),
        (
            "stray-dogs",
            "rrethinat",
            (Decimal("42.083300"), Decimal("19.483300")),
            3,
            "Një tufë qensh pranë shkollës.",
        ),
    ]
    for code, unit_slug, (lat, long), count, text in others:
        unit = AdministrativeUnit.objects.get(municipality=shkoder, slug=unit_slug)
        category = Category.objects.get(municipality=shkoder, code=code)
        for n in range(count):
            services.file_report(
                shkoder,
                category=category,
                place=services.Place(lat=lat, long=long, unit=unit),
                description=text,
                answers={},
                channel="web",
                email=f"{code}{n}@demo.sportel.al",
                confirmed=True,
            )
