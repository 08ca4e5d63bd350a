"""Threaded comments, abuse reports hiding a comment after N reports, audited moderation."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry
from sportel.participation import comments, proposals
from sportel.participation.models import AbuseReport, Comment


@pytest.fixture
def proposal(shkoder, make_resident):
    return proposals.create_proposal(
        shkoder, author=make_resident(shkoder), title="Park", body="Pemë."
    )


def test_replies_thread_under_their_comment(client, shkoder, proposal, make_resident):
    first = comments.add_comment(proposal, author=make_resident(shkoder), body="Dakord!")
    comments.add_comment(proposal, author=make_resident(shkoder), body="Edhe unë.", parent=first)
    page = client.get(
        reverse("participation:proposal", args=["shkoder", proposal.pk])
    ).content.decode()
    assert page.index("Dakord!") < page.index("Edhe unë.")
    assert "sportel-comment--1" in page
    with pytest.raises(ValidationError):
        comments.add_comment(proposal, author=make_resident(shkoder), body="<b>x</b>")


def test_a_comment_is_hidden_after_n_reports_until_a_moderator_decides(
    shkoder, proposal, make_resident, make_staff, settings
):
    settings.SPORTEL_PARTICIPATION_HIDE_AFTER = 2
    comment = comments.add_comment(proposal, author=make_resident(shkoder), body="Reklamë")
    reporter = make_resident(shkoder)
    assert comments.report(comment, reporter=reporter, reason="spam") is False
    assert comments.report(comment, reporter=reporter, reason="spam") is False  # once each
    assert AbuseReport.objects.count() == 1
    assert comments.report(comment, reporter=make_resident(shkoder), reason="spam") is True
    assert Comment.objects.get(pk=comment.pk).hidden
    with pytest.raises(PermissionDenied):
        comments.decide(
            comment, moderator=make_staff(shkoder, Role.CLERK), decision="restore", reason="ok"
        )
    moderator = make_staff(shkoder, Role.SPECIALIST)
    comments.decide(comment, moderator=moderator, decision="restore", reason="Nuk është reklamë.")
    assert not Comment.objects.get(pk=comment.pk).hidden
    # After a decision, more reports do not hide it again by themselves.
    comments.report(comment, reporter=make_resident(shkoder), reason="offensive")
    assert not Comment.objects.get(pk=comment.pk).hidden
    comments.decide(comment, moderator=moderator, decision="remove", reason="Fyese.")
    row = Comment.objects.get(pk=comment.pk)
    assert row.hidden and row.removed
    actions = list(
        AuditEntry.objects.filter(action__startswith="participation.comment").values_list(
            "action", flat=True
        )
    )
    assert actions.count("participation.comment_moderated") == 2
    assert "participation.comment_hidden" in actions


def test_hidden_comments_are_not_shown(client, shkoder, proposal, make_resident, settings):
    settings.SPORTEL_PARTICIPATION_HIDE_AFTER = 1
    comment = comments.add_comment(
        proposal, author=make_resident(shkoder), body="Numri im 0691234567"
    )
    comments.report(comment, reporter=make_resident(shkoder), reason="personal_data")
    page = client.get(
        reverse("participation:proposal", args=["shkoder", proposal.pk])
    ).content.decode()
    assert "0691234567" not in page
    assert "fshehur" in page
