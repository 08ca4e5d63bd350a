"""Consultations (e-discussion): comments paragraph by paragraph within dates, then a published
summary of what was said and what the municipality decided."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.accounts.permissions import has_permission
from sportel.core import audit

from .models import Consultation, Paragraph, ParagraphComment
from .proposals import _plain, resident_of


def comment(paragraph: Paragraph, *, author, body: str, now=None) -> ParagraphComment:
    consultation = paragraph.consultation
    if resident_of(consultation.municipality, author) is None:
        raise PermissionDenied(_("Only residents whose identity was verified can comment."))
    if not consultation.is_open(now):
        raise ValidationError(
            _("This consultation is open from %(opens)s to %(closes)s.")
            % {
                "opens": timezone.localtime(consultation.opens).strftime("%d.%m.%Y"),
                "closes": timezone.localtime(consultation.closes).strftime("%d.%m.%Y"),
            },
            code="closed",
        )
    body = _plain("body", body, 2000)
    with transaction.atomic():
        row = ParagraphComment.objects.create(paragraph=paragraph, author=author, body=body)
        audit.record(
            "participation.consultation_comment",
            actor=author,
            municipality=consultation.municipality,
            obj=consultation,
            data={"paragraph": paragraph.number},
        )
    return row


def publish_summary(consultation: Consultation, *, by, summary: str, decision: str, now=None):
    """Staff publish what was said and what the municipality decided, once the consultation
    closed."""
    now = now or timezone.now()
    if not has_permission(by, consultation.municipality, "participation.manage"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    if now < consultation.closes:
        raise ValidationError(_("The consultation is still open."), code="open")
    summary = _plain("summary", summary, 10_000)
    decision = _plain("decision", decision, 10_000)
    with transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(
            summary=summary, decision=decision, summary_published_at=now
        )
        audit.record(
            "participation.consultation_summary",
            actor=by,
            municipality=consultation.municipality,
            obj=consultation,
        )
    consultation.summary, consultation.decision = summary, decision
    consultation.summary_published_at = now
    return consultation


def create(
    municipality, *, by, slug: str, title: str, question: str, text: str, opens, closes
) -> Consultation:
    """Put a question or a draft document to residents: ``text`` is split into paragraphs at
    blank lines, each commented on separately."""
    if not has_permission(by, municipality, "participation.manage"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    title = _plain("title", title, 200)
    question = _plain("question", question, 5000) if (question or "").strip() else ""
    text = _plain("text", text, 100_000)
    paragraphs = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n")]
    paragraphs = [part for part in paragraphs if part]
    if closes <= opens:
        raise ValidationError({"closes": _("The consultation must close after it opens.")})
    with transaction.atomic():
        if Consultation.objects.filter(municipality=municipality, slug=slug).exists():
            raise ValidationError({"slug": _("Another consultation already has this address.")})
        consultation = Consultation.objects.create(
            municipality=municipality,
            slug=slug,
            title=title,
            question=question,
            opens=opens,
            closes=closes,
        )
        Paragraph.objects.bulk_create(
            Paragraph(consultation=consultation, number=number, text=part)
            for number, part in enumerate(paragraphs, start=1)
        )
        audit.record(
            "participation.consultation_created",
            actor=by,
            municipality=municipality,
            obj=consultation,
            data={"paragraphs": len(paragraphs)},
        )
    return consultation
