"""At a kiosk a resident's document never lands on the shared machine: it is shown to print,
or a link to it is sent to the resident's own email or phone (issue 8)."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from sportel.core import audit
from sportel.core.notifications import send_notification

from .models import Case


def send_document_link(case: Case, *, user) -> str:
    """Send the applicant a link to their case page (the document is there, behind their
    login); returns the email address or phone number it went to, or "" when there is none."""
    to_email, to_phone = user.email, "" if user.email else user.phone
    if not (to_email or to_phone):
        return ""
    language = user.language
    with translation.override(language):
        path = reverse(
            "services:case",
            kwargs={"municipality_slug": case.municipality.slug, "number": case.number},
        )
    with transaction.atomic():
        send_notification(
            template="services_document_link",
            context={
                "name": user.full_name,
                "number": case.number,
                "title": case.service_version.output_title,
                "link": settings.SPORTEL_PUBLIC_URL.rstrip("/") + path,
                "municipality": case.municipality.name,
            },
            language=language,
            to_email=to_email,
            to_phone=to_phone,
            municipality=case.municipality,
            user=user,
        )
        audit.record(
            "case.document_link_sent",
            actor=user,
            municipality=case.municipality,
            obj=case,
            data={"channel": "email" if to_email else "sms", "from": "kiosk"},
        )
    return to_email or to_phone
