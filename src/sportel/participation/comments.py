"""Threaded comments on proposals, abuse reports, and moderation.

A comment is hidden as soon as ``SPORTEL_PARTICIPATION_HIDE_AFTER`` different residents (default
3) reported it, until a moderator decides: restore it or remove it, with a reason. Decisions
are appended (``ModerationDecision``) and every one is in the audit log.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sportel.accounts.permissions import has_permission
from sportel.core import audit

from .models import AbuseReport, Comment, ModerationDecision, Proposal
from .proposals import _plain, resident_of


def hide_after() -> int:
    return int(getattr(settings, "SPORTEL_PARTICIPATION_HIDE_AFTER", 3))


def add_comment(proposal: Proposal, *, author, body: str, parent: Comment | None = None) -> Comment:
    if resident_of(proposal.municipality, author) is None:
        raise PermissionDenied(_("Only residents whose identity was verified can comment."))
    if proposal.status == Proposal.Status.MERGED:
        raise ValidationError(_("Comment on the proposal this one was merged into."))
    if parent is not None and parent.proposal_id != proposal.pk:
        raise ValidationError(_("You can only reply to a comment on this proposal."))
    body = _plain("body", body, 2000)
    with transaction.atomic():
        comment = Comment.objects.create(proposal=proposal, parent=parent, author=author, body=body)
        audit.record(
            "participation.comment_added",
            actor=author,
            municipality=proposal.municipality,
            obj=comment,
        )
    return comment


def report(comment: Comment, *, reporter, reason: str) -> bool:
    """Report abuse; returns True when the comment is (now) hidden pending a moderator."""
    municipality = comment.proposal.municipality
    if resident_of(municipality, reporter) is None:
        raise PermissionDenied(_("Only residents whose identity was verified can report."))
    if reason not in AbuseReport.Reason.values:
        raise ValidationError({"reason": _("Choose why you report this comment.")})
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        try:
            with transaction.atomic():
                AbuseReport.objects.create(comment=locked, reporter=reporter, reason=reason)
        except IntegrityError:
            return locked.hidden  # one report per person
        count = AbuseReport.objects.filter(comment=locked).count()
        decided = ModerationDecision.objects.filter(comment=locked).exists()
        if count >= hide_after() and not locked.hidden and not decided:
            Comment.objects.filter(pk=locked.pk).update(hidden=True)
            locked.hidden = True
            audit.record(
                "participation.comment_hidden",
                actor="system",
                municipality=municipality,
                obj=locked,
                data={"reports": count},
            )
    comment.hidden = locked.hidden
    return locked.hidden


def decide(comment: Comment, *, moderator, decision: str, reason: str) -> ModerationDecision:
    municipality = comment.proposal.municipality
    if not has_permission(moderator, municipality, "participation.moderate"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    if decision not in ModerationDecision.Decision.values:
        raise ValidationError({"decision": _("Choose restore or remove.")})
    reason = _plain("reason", reason, 2000)
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        row = ModerationDecision.objects.create(
            comment=locked, moderator=moderator, decision=decision, reason=reason
        )
        removed = decision == ModerationDecision.Decision.REMOVE
        Comment.objects.filter(pk=locked.pk).update(hidden=removed, removed=removed)
        audit.record(
            "participation.comment_moderated",
            actor=moderator,
            municipality=municipality,
            obj=locked,
            role="moderator",
            reason=reason[:200],
            data={"decision": decision},
        )
    comment.hidden = comment.removed = removed
    return row
