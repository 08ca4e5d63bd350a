"""Organisers and moderators at work on the staff pages (the services check again)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry
from sportel.participation import comments, proposals, services
from sportel.participation.models import BudgetResult, Comment, Phase, Proposal, Support


def staff_url(name, municipality, **kwargs):
    with translation.override("sq"):
        return reverse(
            f"participation-staff:{name}",
            kwargs={"municipality_slug": municipality.slug, **kwargs},
        )


@pytest.fixture
def manager(shkoder, make_staff, verified_client):
    return verified_client(make_staff(shkoder, Role.MANAGER))


@pytest.fixture
def moderator(shkoder, make_staff, verified_client):
    return verified_client(make_staff(shkoder, Role.SPECIALIST))


def test_an_organiser_publishes_a_closed_vote_from_the_desk(
    manager, shkoder, make_budget, make_resident
):
    budget = make_budget(phase=Phase.VOTING, projects=[3_000_000, 2_000_000])
    first = budget.projects.order_by("number").first()
    services.cast_ballot(budget, voter=make_resident(shkoder), projects=[str(first.pk)])
    desk = manager.get(staff_url("index", shkoder))
    assert "Votimi nuk është mbyllur ende." in desk.content.decode()
    refused = manager.post(staff_url("publish", shkoder, slug=budget.slug), follow=True)
    assert "Votimi nuk është mbyllur ende." in refused.content.decode()
    assert not BudgetResult.objects.exists()

    budget.voting_ends = budget.voting_starts + timedelta(hours=1)
    budget.save()
    desk = manager.get("/en" + staff_url("index", shkoder)).content.decode()
    assert f"Count and publish the result of {budget.title}" in desk
    done = manager.post(staff_url("publish", shkoder, slug=budget.slug), follow=True)
    assert "Rezultati u publikua bashkë me skedarin" in done.content.decode()
    result = BudgetResult.objects.get(budget=budget)
    assert result.winners == [first.pb_id]
    assert AuditEntry.objects.filter(action="participation.result_published").exists()


def test_an_organiser_answers_a_proposal_with_reasons(manager, shkoder, make_resident):
    proposal = proposals.create_proposal(
        shkoder, author=make_resident(shkoder), title="Stol në park", body="Stola të rinj."
    )
    assert "Stol në park" in manager.get(staff_url("index", shkoder)).content.decode()
    page = staff_url("answer", shkoder, pk=proposal.pk)
    missing = manager.post("/en" + page, {"status": "accepted", "reasons": ""})
    assert missing.status_code == 200
    assert "This field is required." in missing.content.decode()
    manager.post(page, {"status": "accepted", "reasons": "Do të vendosen në prill."})
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED
    public = manager.get(
        reverse(
            "participation:proposal", kwargs={"municipality_slug": "shkoder", "pk": proposal.pk}
        )
    )
    assert "Do të vendosen në prill." in public.content.decode()


def test_a_clerk_may_not_moderate_and_a_moderator_may_not_publish(
    moderator, shkoder, make_budget, make_staff, verified_client
):
    clerk = verified_client(make_staff(shkoder, Role.CLERK))
    assert clerk.get(staff_url("moderation", shkoder)).status_code == 403
    assert clerk.get(staff_url("index", shkoder)).status_code == 403
    assert moderator.get(staff_url("index", shkoder)).status_code == 403
    budget = make_budget(phase=Phase.RESULTS)
    assert moderator.post(staff_url("publish", shkoder, slug=budget.slug)).status_code == 403


def test_a_moderator_restores_or_removes_hidden_comments(
    moderator, shkoder, make_resident, settings
):
    settings.SPORTEL_PARTICIPATION_HIDE_AFTER = 1
    proposal = proposals.create_proposal(
        shkoder, author=make_resident(shkoder), title="Rrugë", body="Asfalt."
    )
    fine = comments.add_comment(proposal, author=make_resident(shkoder), body="Dakord plotësisht")
    spam = comments.add_comment(proposal, author=make_resident(shkoder), body="Blini tani!")
    for comment in (fine, spam):
        comments.report(comment, reporter=make_resident(shkoder), reason="spam")
    queue = moderator.get("/en" + staff_url("moderation", shkoder)).content.decode()
    assert "Dakord plotësisht" in queue and "Blini tani!" in queue
    moderator.post(
        staff_url("decide", shkoder, comment=fine.pk), {"decision": "restore", "reason": "OK"}
    )
    moderator.post(
        staff_url("decide", shkoder, comment=spam.pk), {"decision": "remove", "reason": "Spam"}
    )
    fine.refresh_from_db()
    spam.refresh_from_db()
    assert (fine.hidden, spam.hidden, spam.removed) == (False, True, True)
    queue = moderator.get(staff_url("moderation", shkoder)).content.decode()
    assert "Blini tani!" not in queue and "Dakord plotësisht" not in queue
    bad = moderator.post(
        staff_url("decide", shkoder, comment=fine.pk), {"decision": "delete-all", "reason": ""}
    )
    assert bad.status_code == 302
    assert Comment.objects.get(pk=fine.pk).decisions.count() == 1


def test_a_moderator_merges_two_proposals_and_their_supports(moderator, shkoder, make_resident):
    author = make_resident(shkoder)
    one = proposals.create_proposal(shkoder, author=author, title="Park A", body="Pemë.")
    two = proposals.create_proposal(shkoder, author=author, title="Park B", body="Pemë.")
    for proposal in (one, one, two):
        proposals.support(proposal, user=make_resident(shkoder))
    moderator.post(staff_url("merge", shkoder), {"proposal": two.pk, "into": one.pk})
    two.refresh_from_db()
    assert two.status == Proposal.Status.MERGED and two.merged_into_id == one.pk
    assert Support.objects.filter(proposal=one).count() == 3
    again = moderator.post(
        "/en" + staff_url("merge", shkoder), {"proposal": two.pk, "into": one.pk}, follow=True
    )
    assert "This proposal was already merged." in again.content.decode()


def test_an_organiser_puts_a_text_to_consultation_and_publishes_the_summary(manager, shkoder):
    from sportel.participation.models import Consultation

    now = timezone.localtime()
    data = {
        "slug": "plani-2027",
        "title": "Plani buxhetor afatmesëm",
        "question": "Çfarë mendoni?",
        "text": "Neni 1. Rrugët.\r\n\r\nNeni 2. Parqet.\r\n\r\n\r\nNeni 3. Shkollat.",
        "opens": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes": (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
    }
    wrong = manager.post("/en" + staff_url("consultation-new", shkoder), data)
    assert "The consultation must close after it opens." in wrong.content.decode()
    assert not Consultation.objects.exists()
    data["closes"] = (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    manager.post(staff_url("consultation-new", shkoder), data)
    made = Consultation.objects.get(municipality=shkoder, slug="plani-2027")
    assert [p.text for p in made.paragraphs.order_by("number")] == [
        "Neni 1. Rrugët.",
        "Neni 2. Parqet.",
        "Neni 3. Shkollat.",
    ]
    summary = staff_url("consultation-summary", shkoder, slug=made.slug)
    still_open = manager.post(
        "/en" + summary, {"summary": "Banorët duan parqe.", "decision": "Shtojmë parqe."}
    )
    assert "The consultation is still open." in still_open.content.decode()
    made.closes = timezone.now() - timedelta(minutes=1)
    made.save()
    manager.post(summary, {"summary": "Banorët duan parqe.", "decision": "Shtojmë parqe."})
    made.refresh_from_db()
    assert (made.summary, made.decision) == ("Banorët duan parqe.", "Shtojmë parqe.")
    public = manager.get(
        reverse(
            "participation:consultation",
            kwargs={"municipality_slug": shkoder.slug, "slug": made.slug},
        )
    )
    assert "Shtojmë parqe." in public.content.decode()


def test_moderation_is_the_specialists_as_roles_py_says_not_the_managers(
    shkoder, make_staff, make_resident, verified_client, settings
):
    """roles.py gives ``participation.moderate`` to specialists only: a manager (the organiser)
    neither opens the queue, decides, nor merges, and is not offered the link; a specialist
    finds the queue from the staff home."""
    settings.SPORTEL_PARTICIPATION_HIDE_AFTER = 1
    author = make_resident(shkoder)
    one = proposals.create_proposal(shkoder, author=author, title="Park", body="Pemë.")
    two = proposals.create_proposal(shkoder, author=author, title="Park 2", body="Pemë.")
    comment = comments.add_comment(one, author=author, body="Bli tani!")
    comments.report(comment, reporter=make_resident(shkoder), reason="spam")

    manager = verified_client(make_staff(shkoder, Role.MANAGER))
    desk = manager.get("/en" + staff_url("index", shkoder)).content.decode()
    assert "Moderation queue" not in desk
    home = manager.get(f"/en/{shkoder.slug}/staff/").content.decode()
    assert "Participation: moderation" not in home
    assert manager.get(staff_url("moderation", shkoder)).status_code == 403
    decided = manager.post(
        staff_url("decide", shkoder, comment=comment.pk), {"decision": "restore", "reason": "x"}
    )
    merged = manager.post(staff_url("merge", shkoder), {"proposal": two.pk, "into": one.pk})
    assert (decided.status_code, merged.status_code) == (403, 403)
    comment.refresh_from_db()
    two.refresh_from_db()
    assert comment.hidden and two.status == Proposal.Status.PUBLISHED

    specialist = verified_client(make_staff(shkoder, Role.SPECIALIST))
    home = specialist.get(f"/en/{shkoder.slug}/staff/").content.decode()
    assert "Participation: moderation" in home
    assert staff_url("moderation", shkoder).removeprefix("/") in home
    assert specialist.get(staff_url("moderation", shkoder)).status_code == 200
