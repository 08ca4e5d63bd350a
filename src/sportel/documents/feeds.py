"""The documents module's statistics for the open data portal (core/feeds.py): documents issued
and revoked, and verifications that found a document, per type and month; never a code, a
holder, a case or who verified (``VerificationLookup`` keeps only type, month and method)."""

from collections import Counter
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from sportel.core.feeds import Feed, Field, register_feed

TIRANE = ZoneInfo("Europe/Tirane")


def issued_per_month(municipality) -> list[dict]:
    from .models import DocumentEvent, VerificationLookup

    counts: Counter = Counter()
    rows = (
        DocumentEvent.objects.filter(municipality=municipality)
        .values_list("document__document_type", "kind", "at")
        .iterator(chunk_size=5000)
    )
    for document_type, kind, at in rows:
        counts[(at.astimezone(TIRANE).strftime("%Y-%m"), document_type, kind)] += 1
    lookups = (
        VerificationLookup.objects.filter(municipality=municipality)
        .values_list("month", "document_type")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for month, document_type, n in lookups:
        counts[(month, document_type, "verified")] += n
    keys = sorted({(month, document_type) for month, document_type, _kind in counts})
    return [
        {
            "month": month,
            "document_type": document_type,
            "issued": counts[(month, document_type, "issued")],
            "revoked": counts[(month, document_type, "revoked")],
            "verifications": counts[(month, document_type, "verified")],
        }
        for month, document_type in keys
    ]


def register() -> None:
    register_feed(
        Feed(
            name="documents-issued-per-type-month",
            module="documents",
            title=_("Documents issued and verified per type and month"),
            description=_(
                "Sealed documents issued and revoked, and verifications (by code or file) that "
                "found a document, per document type and month."
            ),
            theme="GOVE",
            frequency="MONTHLY",
            keywords=("documents", "certificates"),
            fields=[
                Field("month", "yearmonth", _("Month"), key=True),
                Field("document_type", "string", _("Document type"), key=True),
                Field("issued", "integer", _("Issued"), count=True),
                Field("revoked", "integer", _("Revoked"), count=True),
                Field("verifications", "integer", _("Verifications"), count=True),
            ],
            rows=issued_per_month,
        )
    )
