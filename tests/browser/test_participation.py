"""Participation journeys in a real browser, axe-core on every page, at 1280 and 320 pixels, in
Albanian and English:

- a resident writes a proposal and is shown a similar one first;
- a resident votes in a participatory budget (and sees the ballot recorded);
- the results page explains the outcome and offers the recountable ballots;
- an organiser creates a budget, adds and costs a project, and publishes a closed vote.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportel.core.identifiers import with_check_letter
from tests.accounts.helpers import browser_login

PASSWORD = "a-long-test-password"
SIZES = [("", 1280), ("/en", 320)]


def no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def resident(transactional_db, shkoder):
    from sportel.accounts.models import User
    from sportel.core.models import Person

    nid = with_check_letter("J12345671")
    user = User.objects.create_user(
        "mira.gjoni@test.sportel.al",
        password=PASSWORD,
        full_name="Mira Gjoni",
        nid=nid,
        nid_verified=True,
        nid_verified_via="eid",
        confirmed_at="2026-01-01T00:00:00Z",
    )
    Person.objects.create(
        municipality=shkoder, nid=nid, first_name="Mira", last_name="Gjoni", user=user
    )
    return user


def budget(shkoder, *, closed=False):
    from sportel.participation.demo import PROJECTS
    from sportel.participation.models import Budget, Project

    start = timezone.now() - timedelta(days=20 if closed else 1)
    made = Budget.objects.create(
        municipality=shkoder,
        slug="bp-closed" if closed else "bp-open",
        title="Buxheti me pjesëmarrje",
        amount=Decimal(20_000_000),
        max_projects=5,
        information_starts=start - timedelta(days=30),
        proposals_start=start - timedelta(days=20),
        review_starts=start - timedelta(days=10),
        voting_starts=start,
        voting_ends=start + timedelta(days=14),
        implementation_starts=start + timedelta(days=60),
    )
    for number, (title, cost, description, _) in enumerate(PROJECTS[:6], start=1):
        Project.objects.create(
            budget=made,
            number=number,
            title=title,
            cost=Decimal(cost),
            description=description,
            review=Project.Review.FEASIBLE,
        )
    return made


@pytest.mark.parametrize(("prefix", "width"), SIZES)
def test_a_resident_writes_a_proposal_and_is_shown_a_similar_one(
    page, accessible, shkoder, resident, prefix, width
):
    from sportel.accounts.models import User
    from sportel.participation import proposals

    other = User.objects.create_user(
        "other@test.sportel.al",
        password=PASSWORD,
        nid=with_check_letter("J76543211"),
        nid_verified=True,
        nid_verified_via="eid",
        confirmed_at="2026-01-01T00:00:00Z",
    )
    from sportel.core.models import Person

    Person.objects.create(municipality=shkoder, nid=other.nid, first_name="O", last_name="T")
    existing = proposals.create_proposal(
        shkoder,
        author=other,
        title="Ndriçim në rrugën e shkollës",
        body="Rruga e shkollës në Perash është e errët natën.",
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, resident.username, PASSWORD)
    page.goto(f"{prefix}/shkoder/participation/proposals/new/")
    accessible(page)
    page.locator("#id_title").fill("Ndricim per rrugen e shkolles")
    page.locator("#id_body").fill("Femijet kthehen ne erresire nga shkolla.")
    page.locator("main form button[type=submit]").click()
    banner = page.locator("#similar")
    expect(banner).to_contain_text(existing.title, use_inner_text=True)
    accessible(page)
    no_horizontal_scroll(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/participation/proposals/*/")
    assert "Ndricim per rrugen e shkolles" in page.locator("h1").inner_text()
    accessible(page)


@pytest.mark.parametrize(("prefix", "width"), SIZES)
def test_a_resident_votes(page, accessible, shkoder, resident, prefix, width):
    from sportel.participation.models import Ballot

    made = budget(shkoder)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, resident.username, PASSWORD)
    page.goto(f"{prefix}/shkoder/participation/budgets/{made.slug}/")
    accessible(page)
    no_horizontal_scroll(page)
    page.locator("main a.govuk-button").first.click()
    page.wait_for_url("**/vote/")
    accessible(page)
    first, third = made.projects.order_by("number")[0], made.projects.order_by("number")[2]
    page.locator(f"#project-{first.pk}").check()
    page.locator(f"#project-{third.pk}").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    accessible(page)
    no_horizontal_scroll(page)
    assert page.locator(f"#project-{first.pk}").is_checked()
    ballot = Ballot.objects.get(budget=made, voter=resident)
    assert sorted(p.pk for p in ballot.projects.all()) == sorted([first.pk, third.pk])


@pytest.mark.parametrize(("prefix", "width"), SIZES)
def test_the_results_page_explains_the_outcome(page, accessible, shkoder, prefix, width):
    import random

    from sportel.accounts.models import User
    from sportel.core.models import Person
    from sportel.participation import services

    made = budget(shkoder, closed=True)
    projects = list(made.projects.order_by("number"))
    rng = random.Random(4)
    for i in range(40):
        nid = with_check_letter(f"J{i:06d}44")
        voter = User.objects.create_user(
            f"v{i}@test.sportel.al", nid=nid, nid_verified=True, nid_verified_via="eid"
        )
        Person.objects.create(municipality=shkoder, nid=nid, first_name="V", last_name=str(i))
        chosen = {p.pk for p in rng.sample(projects, rng.randint(1, 3))}
        services.cast_ballot(
            made, voter=voter, projects=sorted(chosen), now=made.voting_starts + timedelta(days=1)
        )
    result = services.publish_result(made, actor="test")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{prefix}/shkoder/participation/budgets/{made.slug}/results/")
    accessible(page)
    no_horizontal_scroll(page)
    assert result.pb_sha256 in page.locator("#pb-sha256").inner_text()
    winner = result.winners[0]
    row = page.locator(f"#project-{winner}").inner_text()
    assert ("Funded as number 1" if prefix else "Financuar si i 1-ti") in row
    page.locator("summary").first.click()
    expect(page.locator(".govuk-details__text").first).to_be_visible()


@pytest.mark.parametrize(("prefix", "width"), SIZES)
def test_an_organiser_creates_a_budget_and_publishes_results(
    page, accessible, shkoder, make_staff, prefix, width
):
    from sportel.accounts.models import User
    from sportel.core.models import Person
    from sportel.participation import services
    from sportel.participation.models import Budget, BudgetResult, Project
    from tests.accounts.helpers import browser_staff_login

    closed = budget(shkoder, closed=True)
    first = closed.projects.order_by("number").first()
    for i in range(3):
        nid = with_check_letter(f"K{i:06d}55")
        voter = User.objects.create_user(
            f"k{i}@test.sportel.al", nid=nid, nid_verified=True, nid_verified_via="eid"
        )
        Person.objects.create(municipality=shkoder, nid=nid, first_name="K", last_name=str(i))
        services.cast_ballot(
            closed, voter=voter, projects=[first.pk], now=closed.voting_starts + timedelta(days=1)
        )
    manager = make_staff(shkoder, "manager")
    page.set_viewport_size({"width": width, "height": 900})
    browser_staff_login(page, manager)
    page.goto(f"{prefix}/shkoder/staff/participation/")
    accessible(page)
    no_horizontal_scroll(page)
    page.locator("main a.govuk-button").first.click()
    page.wait_for_url("**/budgets/new/")
    accessible(page)
    start = timezone.localtime() + timedelta(days=1)
    page.locator("#id_slug").fill("lagjja-2027")
    page.locator("#id_title").fill("Buxheti i lagjes 2027")
    page.locator("#id_amount").fill("5000000")
    page.locator("#id_max_projects").fill("2")
    fields = [
        "information_starts",
        "proposals_start",
        "review_starts",
        "voting_starts",
        "voting_ends",
        "implementation_starts",
    ]
    for i, name in enumerate(fields):
        page.locator(f"#id_{name}").fill(
            (start + timedelta(days=10 * i)).strftime("%Y-%m-%dT%H:%M")
        )
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/lagjja-2027/projects/")
    accessible(page)
    no_horizontal_scroll(page)
    page.locator("#id_new-title").fill("Ndriçim në rrugë")
    page.locator("#id_new-cost").fill("1200000")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_selector(".govuk-summary-card")
    project = Project.objects.get(budget__slug="lagjja-2027")
    page.locator(f"#id_p{project.pk}-review_0").check()
    page.locator(f"main form[action$='/{project.pk}/review/'] button").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    accessible(page)
    project.refresh_from_db()
    assert project.review == Project.Review.FEASIBLE
    assert Budget.objects.get(slug="lagjja-2027").max_projects == 2

    page.goto(f"{prefix}/shkoder/staff/participation/")
    page.locator(f"form[action$='/{closed.slug}/publish/'] button").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    accessible(page)
    no_horizontal_scroll(page)
    assert BudgetResult.objects.get(budget=closed).winners == [first.pb_id]
