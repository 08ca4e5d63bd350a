"""Open data feeds (aggregates, small counts suppressed), the screens' panel, and followers told
when a proposal is answered or results are published."""

from datetime import timedelta

from sportel.accounts.roles import Role
from sportel.core.feeds import get_feed, suppressed_rows
from sportel.core.models import Notification
from sportel.core.screens import panels
from sportel.participation import follows, proposals, services
from sportel.participation.models import Phase


def test_feeds_hold_aggregates_only(shkoder, make_budget, make_resident, make_staff):
    budget = make_budget(projects=[1_000_000, 2_000_000])
    pks = [p.pk for p in budget.projects.order_by("number")]
    voters = [make_resident(shkoder) for _ in range(6)]
    for voter in voters:
        services.cast_ballot(budget, voter=voter, projects=[pks[0]])
    budget.voting_ends = budget.voting_starts + timedelta(hours=1)
    budget.save()
    services.publish_result(budget, actor=make_staff(shkoder, Role.MANAGER))
    rows = suppressed_rows(get_feed("participation-budget-results"), shkoder)
    by_id = {r["project_id"]: r for r in rows}
    assert by_id[str(pks[0])]["votes"] == 6 and by_id[str(pks[0])]["funded"] is True
    assert by_id[str(pks[1])]["votes"] == 0
    channels = suppressed_rows(get_feed("participation-ballots-per-channel"), shkoder)
    assert channels == [{"budget": budget.slug, "channel": "online", "ballots": 6}]
    text = repr(rows + channels)
    assert not any(v.nid in text or v.username in text for v in voters)


def test_small_counts_of_proposals_are_suppressed(shkoder, make_resident):
    proposals.create_proposal(shkoder, author=make_resident(shkoder), title="Park", body="Pemë.")
    rows = suppressed_rows(get_feed("participation-proposals-per-month"), shkoder)
    assert rows[0]["proposals"] is None  # one proposal: too few to publish


def test_the_screens_show_votes_open_now(shkoder, make_budget):
    make_budget(phase=Phase.REVIEW)
    assert not [p for p in panels(shkoder) if p.key == "participation-votes"]
    open_vote = make_budget(phase=Phase.VOTING)
    panel = next(p for p in panels(shkoder) if p.key == "participation-votes")
    assert [label for label, _ in panel.rows] == [open_vote.title]


def test_followers_hear_when_a_proposal_is_answered(shkoder, make_resident, make_staff, settings):
    settings.SPORTEL_PUBLIC_URL = "https://sportel.example.al/"
    author, fan = make_resident(shkoder), make_resident(shkoder)
    for user, email in ((author, "author@test.sportel.al"), (fan, "fan@test.sportel.al")):
        user.email = email
        user.save()
    proposal = proposals.create_proposal(shkoder, author=author, title="Park", body="Pemë.")
    assert follows.follow(fan, proposal=proposal) is True
    assert follows.follow(fan, proposal=proposal) is False
    proposals.answer(
        proposal, by=make_staff(shkoder, Role.MANAGER), status="accepted", reasons="Po."
    )
    sent = Notification.objects.filter(template="participation_update")
    assert {n.recipient for n in sent} == {author.email, fan.email}
    assert all("u pranua" in n.subject or "accepted" in n.subject for n in sent)
    link = f"https://sportel.example.al/shkoder/participation/proposals/{proposal.pk}/"
    assert all(link in n.body for n in sent), [n.body for n in sent]
