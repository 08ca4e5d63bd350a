"""Proposals: similar ones suggested while writing, supports counted once, answers with reasons,
merges by moderators; markup and image bombs refused with nothing written."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry
from sportel.participation import proposals
from sportel.participation.models import Proposal, ProposalImage, Support


def new(shkoder, author, title="Ndriçim në rrugën e shkollës", body="Rruga është e errët natën."):
    return proposals.create_proposal(shkoder, author=author, title=title, body=body)


def test_similar_proposals_are_found_without_accents(shkoder, make_resident):
    lights = new(shkoder, make_resident(shkoder))
    new(shkoder, make_resident(shkoder), "Kënd lojërash", "Për fëmijët e lagjes Perash.")
    found = proposals.similar(shkoder, "ndricim ne rrugen e shkolles")
    assert found == [lights]


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "Klikoni <img src=x onerror=alert(1)>",
        "javascript:alert(1)",
    ],
)
def test_a_proposal_with_a_script_is_refused(shkoder, make_resident, body):
    with pytest.raises(ValidationError) as refused:
        new(shkoder, make_resident(shkoder), body=body)
    assert "skriptet" in refused.value.message_dict["body"][0]
    assert not Proposal.objects.exists()


def test_an_image_bomb_is_refused_and_nothing_is_written(shkoder, make_resident, settings):
    buffer = io.BytesIO()
    Image.new("L", (20_000, 20_000)).save(buffer, "PNG")  # 400 megapixels, a few hundred KB
    bomb = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        proposals.create_proposal(
            shkoder, author=make_resident(shkoder), title="t", body="b", image=bomb
        )
    assert "image" in refused.value.message_dict
    assert not Proposal.objects.exists() and not ProposalImage.objects.exists()


def test_only_verified_residents_propose_and_support(shkoder, lezhe, make_resident):
    with pytest.raises(PermissionDenied):
        new(shkoder, make_resident(shkoder, verified=False))
    with pytest.raises(PermissionDenied):
        new(shkoder, make_resident(lezhe))
    proposal = new(shkoder, make_resident(shkoder))
    fan = make_resident(shkoder)
    assert proposals.support(proposal, user=fan) is True
    assert proposals.support(proposal, user=fan) is False  # counted once
    assert proposal.supports.count() == 1
    with pytest.raises(PermissionDenied):
        proposals.support(proposal, user=make_resident(lezhe))


def test_answer_with_reasons_and_merge_by_a_moderator(shkoder, make_resident, make_staff):
    a = new(shkoder, make_resident(shkoder))
    b = new(shkoder, make_resident(shkoder), "Drita në rrugën e shkollës", "E njëjta rrugë.")
    both, only_b = make_resident(shkoder), make_resident(shkoder)
    for user, target in ((both, a), (both, b), (only_b, b)):
        proposals.support(target, user=user)
    with pytest.raises(PermissionDenied):
        proposals.merge(b, into=a, by=make_staff(shkoder, Role.CLERK))
    moved = proposals.merge(b, into=a, by=make_staff(shkoder, Role.SPECIALIST))
    assert moved == 1
    assert sorted(Support.objects.filter(proposal=a).values_list("user_id", flat=True)) == sorted(
        [both.pk, only_b.pk]
    )
    assert Proposal.objects.get(pk=b.pk).merged_into_id == a.pk
    manager = make_staff(shkoder, Role.MANAGER)
    with pytest.raises(ValidationError):
        proposals.answer(a, by=manager, status="accepted", reasons="")
    proposals.answer(a, by=manager, status="accepted", reasons="Përfshihet në buxhetin 2027.")
    assert Proposal.objects.get(pk=a.pk).status == "accepted"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"participation.proposal_merged", "participation.proposal_answered"} <= actions


def test_writing_a_proposal_shows_a_similar_one_first(client, shkoder, make_resident):
    lights = new(shkoder, make_resident(shkoder))
    client.force_login(make_resident(shkoder))
    page_url = reverse("participation:proposal-new", args=["shkoder"])
    data = {"title": "Ndricim per rrugen e shkolles", "body": "Rruga eshte e erret naten."}
    first = client.post("/en" + page_url, data)
    assert first.status_code == 200
    assert "Similar proposals" in first.content.decode()
    assert lights.title in first.content.decode()
    assert Proposal.objects.count() == 1  # nothing published yet, nothing lost
    assert 'value="Ndricim per rrugen e shkolles"' in first.content.decode()
    second = client.post(page_url, {**data, "step": "publish"})
    assert second.status_code == 302
    assert Proposal.objects.count() == 2


def test_a_script_in_the_form_is_refused_in_both_languages(client, shkoder, make_resident):
    client.force_login(make_resident(shkoder))
    page_url = reverse("participation:proposal-new", args=["shkoder"])
    data = {"title": "Park", "body": "<script>alert(1)</script>", "step": "publish"}
    sq = client.post(page_url, data).content.decode()
    en = client.post("/en" + page_url, data).content.decode()
    assert "nuk lejohen" in sq
    assert "are not allowed" in en
    assert "<script>alert(1)</script>" not in en  # shown escaped, never run
    assert not Proposal.objects.exists()


def test_accepted_proposals_are_tracked_with_milestones(client, shkoder, make_resident, make_staff):
    proposal = new(shkoder, make_resident(shkoder))
    manager = make_staff(shkoder, Role.MANAGER)
    with pytest.raises(ValidationError):
        proposals.add_milestone(proposal, by=manager, title="Projekti", progress=10)
    proposals.answer(proposal, by=manager, status="accepted", reasons="Po.")
    proposals.add_milestone(proposal, by=manager, title="Projekti i zbatimit gati", progress=30)
    with pytest.raises(PermissionDenied):
        proposals.add_milestone(
            proposal, by=make_staff(shkoder, Role.CLERK), title="x", progress=40
        )
    page = client.get(reverse("participation:proposal", args=["shkoder", proposal.pk])).content
    assert "30%" in page.decode() and "Projekti i zbatimit gati" in page.decode()


def test_the_support_threshold_is_fixed_or_a_share_of_residents(shkoder, make_resident, settings):
    from sportel.core.models import Person

    author = make_resident(shkoder)
    settings.SPORTEL_PARTICIPATION_SUPPORT_THRESHOLD = 40
    fixed = proposals.create_proposal(shkoder, author=author, title="Stol", body="Stola.")
    assert fixed.threshold == 40
    residents = Person.objects.filter(municipality=shkoder).count()
    settings.SPORTEL_PARTICIPATION_SUPPORT_SHARE = "0.5"
    share = proposals.create_proposal(shkoder, author=author, title="Pemë", body="Pemë.")
    assert share.threshold == max(1, -(-residents // 2))
    for _ in range(residents + 1):
        make_resident(shkoder)
    assert proposals.support_threshold(shkoder) == -(-(2 * residents + 1) // 2)
    share.refresh_from_db()
    assert share.threshold == max(1, -(-residents // 2))
