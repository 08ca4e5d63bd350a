"""Consultations: comments paragraph by paragraph within dates, a published summary, the screens."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sportel.accounts.roles import Role
from sportel.core.screens import panels
from sportel.participation import consultations
from sportel.participation.models import Consultation, Paragraph


@pytest.fixture
def consultation(shkoder):
    now = timezone.now()
    made = Consultation.objects.create(
        municipality=shkoder,
        slug="buxheti-afatmesem",
        title="Programi buxhetor afatmesëm 2027–2029",
        question="Çfarë duhet të ketë përparësi?",
        opens=now - timedelta(days=1),
        closes=now + timedelta(days=10),
    )
    for n, text in enumerate(("Rrugët rurale.", "Ujësjellësi i Velipojës."), start=1):
        Paragraph.objects.create(consultation=made, number=n, text=text)
    return made


def test_residents_comment_paragraph_by_paragraph(client, shkoder, consultation, make_resident):
    second = consultation.paragraphs.get(number=2)
    client.force_login(make_resident(shkoder))
    client.post(
        f"/shkoder/participation/consultations/{consultation.slug}/",
        {"paragraph": second.pk, "body": "Ujë të pijshëm gjatë verës."},
    )
    assert second.comments.get().body == "Ujë të pijshëm gjatë verës."
    page = client.get(f"/en/shkoder/participation/consultations/{consultation.slug}/").content
    assert "Ujë të pijshëm gjatë verës." in page.decode()
    with pytest.raises(PermissionDenied):
        consultations.comment(second, author=make_resident(shkoder, verified=False), body="x")
    with pytest.raises(ValidationError):
        consultations.comment(
            second, author=make_resident(shkoder), body="x", now=consultation.closes
        )


def test_the_summary_is_published_after_closing(shkoder, consultation, make_staff):
    manager = make_staff(shkoder, Role.MANAGER)
    with pytest.raises(ValidationError):
        consultations.publish_summary(consultation, by=manager, summary="s", decision="d")
    consultations.publish_summary(
        consultation,
        by=manager,
        summary="Banorët kërkuan ujë.",
        decision="Ujësjellësi hyn në 2027.",
        now=consultation.closes,
    )
    assert Consultation.objects.get(pk=consultation.pk).summary_published_at is not None


def test_the_screens_announce_open_consultations(shkoder, consultation):
    panel = next(p for p in panels(shkoder) if p.key == "participation-consultations")
    assert panel.rows[0][0] == consultation.title
