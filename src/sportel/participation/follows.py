"""Following a proposal or a budget, and telling followers when it changes (core.notifications).

Messages are queued in the same transaction as the change (the outbox delivers them after
commit); they name the proposal or budget, never another resident.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from sportel.core.notifications import send_notification

from .models import Follow

# What changed, in both languages (the template picks the follower's language).
ANSWERED = {
    "evaluating": ("po vlerësohet nga bashkia", "the municipality is evaluating it"),
    "accepted": ("u pranua nga bashkia", "the municipality accepted it"),
    "rejected": ("u refuzua nga bashkia, me arsye", "the municipality rejected it, with reasons"),
}
PHASE_CHANGED = {
    "results": ("rezultatet u publikuan", "the results are published"),
}


def follow(user, *, proposal=None, budget=None) -> bool:
    """Start following; False when already following."""
    try:
        with transaction.atomic():
            Follow.objects.create(user=user, proposal=proposal, budget=budget)
    except IntegrityError:
        return False
    return True


def unfollow(user, *, proposal=None, budget=None) -> None:
    Follow.objects.filter(user=user, proposal=proposal, budget=budget).delete()


def notify(
    *,
    municipality,
    title: str,
    what: tuple[str, str],
    path: str,
    proposal=None,
    budget=None,
    also=None,
):
    """Queue one message per follower who has an address (and to ``also``, e.g. the proposer,
    even when they stopped following; once)."""
    followers = Follow.objects.filter(proposal=proposal, budget=budget).select_related("user")
    users = [row.user for row in followers]
    if also is not None and all(user.pk != also.pk for user in users):
        users.append(also)
    sent = 0
    for user in users:
        if not (user.email or getattr(user, "phone", "")):
            continue
        send_notification(
            template="participation_update",
            context={
                "title": title,
                "what_sq": what[0],
                "what_en": what[1],
                "url": public_url(path),
            },
            language="sq",
            municipality=municipality,
            user=user,
        )
        sent += 1
    return sent


def public_url(path: str) -> str:
    """A full link a follower can open from an e-mail or SMS (``SPORTEL_PUBLIC_URL`` + path)."""
    return settings.SPORTEL_PUBLIC_URL.rstrip("/") + path


def proposal_path(proposal) -> str:
    return reverse(
        "participation:proposal",
        kwargs={"municipality_slug": proposal.municipality.slug, "pk": proposal.pk},
    )


def budget_path(budget) -> str:
    return reverse(
        "participation:results",
        kwargs={"municipality_slug": budget.municipality.slug, "slug": budget.slug},
    )
