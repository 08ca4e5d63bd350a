"""The documents module's statistics for the open data portal (core/feeds.py): documents issued
and revoked per type and month; never a code, a holder or a case."""

from collections import Counter
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from sportel.core.feeds import Feed, Field, register_feed

TIRANE = ZoneInfo("Europe/Tirane")


def issued_per_month(municipality) -> list[dict]:
    from .models import DocumentEvent

    counts: Counter = Counter()
    rows = (
        DocumentEvent.objects.filter(municipality=municipality)
        .values_list("document__document_type", "kind", "at")
        .iterator(chunk_size=5000)
    )
    for document_type, kind, at in rows:
        counts[(at.astimezone(TIRANE).strftime("%Y-%m"), document_type, kind)] += 1
    keys = sorted({(month, document_type) for month, document_type, _kind in counts})
    return [
        {
            "month": month,
            "document_type": document_type,
            "issued": counts[(month, document_type, "issued")],
            "revoked": counts[(month, document_type, "revoked")],
        }
        for month, document_type in keys
    ]


def register() -> None:
    register_feed(
        Feed(
            name="documents-issued-per-type-month",
            module="documents",
            title=_("Documents issued per type and month"),
            description=_("Sealed documents issued and revoked per document type and month."),
            theme="GOVE",
            frequency="MONTHLY",
            keywords=("documents", "certificates"),
            fields=[
                Field("month", "yearmonth", _("Month"), key=True),
                Field("document_type", "string", _("Document type"), key=True),
                Field("issued", "integer", _("Issued"), count=True),
                Field("revoked", "integer", _("Revoked"), count=True),
            ],
            rows=issued_per_month,
        )
    )
