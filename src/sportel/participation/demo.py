"""Demo data: a finished participatory budget for Shkodër (a few hundred ballots, the result and
its ``.pb`` file published) and one open for voting, so a newcomer can vote and recount."""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sportel.core.demo import register_demo

FINISHED = "buxheti-me-pjesemarrje-2026"
OPEN = "buxheti-me-pjesemarrje-2027"
VOTERS = 320

PROJECTS = [
    # (title, cost in lek, description, popularity)
    (
        "Ndriçim LED në rrugën Marin Barleti",
        4_200_000,
        "120 ndriçues të rinj me energji diellore.",
        9,
    ),
    ("Kënd lojërash në lagjen Perash", 2_800_000, "Lodra të sigurta dhe stola nën hije.", 6),
    ("Korsi biçikletash Shkodër–Zogaj", 9_500_000, "5 km korsi e ndarë nga makinat.", 8),
    ("Riparimi i kanalit vaditës në Bërdicë", 3_600_000, "Pastrim dhe betonim i 2 km kanal.", 4),
    ("Biblioteka e lagjes në Rus", 1_900_000, "Libra, kompjuterë dhe orë leximi për fëmijë.", 3),
    ("Stola dhe pemë në sheshin Demokracia", 1_200_000, "40 pemë dhe 20 stola.", 5),
    (
        "Palestër në natyrë në parkun e Liqenit",
        1_600_000,
        "Pajisje fitnesi falas për të gjithë.",
        4,
    ),
    ("Trotuare të reja në Dobraç", 6_300_000, "Trotuare me rampa për karrocat.", 3),
    ("Kosha për riciklim në qendër", 900_000, "60 kosha të ndarë për plastikë, letër dhe qelq.", 5),
    ("Qendër ditore për të moshuarit në Postribë", 5_400_000, "Rikonstruksion i ish-shkollës.", 2),
    ("Wi-Fi falas në bibliotekën Marin Barleti", 700_000, "Internet i shpejtë për studentët.", 3),
    ("Urë këmbësorësh mbi lumin Kir", 7_800_000, "Lidh lagjen Bahçallëk me qendrën.", 6),
]


def _dates(voting_starts):
    return {
        "information_starts": voting_starts - timedelta(days=60),
        "proposals_start": voting_starts - timedelta(days=50),
        "review_starts": voting_starts - timedelta(days=25),
        "voting_starts": voting_starts,
        "voting_ends": voting_starts + timedelta(days=14),
        "implementation_starts": voting_starts + timedelta(days=90),
    }


def _budget(municipality, slug, title, voting_starts):
    from .models import Budget, Project

    budget, created = Budget.objects.get_or_create(
        municipality=municipality,
        slug=slug,
        defaults={
            "title": title,
            "description": (
                "Banorët e Shkodrës propozojnë dhe votojnë projekte për qytetin. Fitoret "
                "llogariten me Metodën e Pjesëve të Barabarta dhe mund të rinumërohen nga kushdo."
            ),
            "amount": Decimal(20_000_000),
            "max_projects": 5,
            **_dates(voting_starts),
        },
    )
    if created:
        for number, (name, cost, description, _) in enumerate(PROJECTS, start=1):
            Project.objects.create(
                budget=budget,
                number=number,
                title=name,
                cost=Decimal(cost),
                description=description,
                review=Project.Review.FEASIBLE,
            )
    return budget


def _voters(municipality, count):
    from sportel.accounts.models import User
    from sportel.core.identifiers import with_check_letter
    from sportel.core.models import AdministrativeUnit, Person

    units = list(AdministrativeUnit.objects.filter(municipality=municipality).order_by("pk"))
    rng = random.Random(13)  # noqa: S311 -- demo data, reproducible on purpose
    voters = []
    for i in range(1, count + 1):
        login = f"votues{i:03d}@demo.sportel.al"
        nid = with_check_letter(f"K{i:06d}13")
        user, created = User.objects.get_or_create(
            username=login,
            defaults={
                "email": login,
                "full_name": f"Votues {i}",
                "confirmed_at": timezone.now(),
                "nid": nid,
                "nid_verified": True,
                "nid_verified_via": "counter",
                "nid_verified_at": timezone.now(),
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Person.objects.get_or_create(
                municipality=municipality,
                nid=nid,
                defaults={
                    "first_name": "Votues",
                    "last_name": str(i),
                    "unit": rng.choice(units),
                    "user": user,
                },
            )
        voters.append(user)
    return voters


@register_demo
def seed_participation() -> None:
    from sportel.core.models import Municipality

    from . import services
    from .models import Ballot, BudgetResult

    shkoder = Municipality.objects.get(slug="shkoder")
    now = timezone.now()
    finished = _budget(shkoder, FINISHED, "Buxheti me pjesëmarrje 2026", now - timedelta(days=30))
    _budget(shkoder, OPEN, "Buxheti me pjesëmarrje 2027", now - timedelta(days=2))
    if not Ballot.objects.filter(budget=finished).exists():
        rng = random.Random(2026)  # noqa: S311 -- demo data, reproducible on purpose
        projects = list(finished.projects.order_by("number"))
        weights = [p[3] for p in PROJECTS]
        when = finished.voting_starts + timedelta(days=1)
        with transaction.atomic():
            for voter in _voters(shkoder, VOTERS):
                chosen, total = [], 0
                for p in rng.choices(projects, weights=weights, k=rng.randint(1, 4)):
                    if p.pk not in chosen and total + p.cost <= finished.amount:
                        chosen.append(p.pk)
                        total += p.cost
                services.cast_ballot(finished, voter=voter, projects=chosen, now=when)
    if not BudgetResult.objects.filter(budget=finished).exists():
        services.publish_result(finished, actor="demo")
    _proposals(shkoder)
    _consultation(shkoder, now)


def _consultation(shkoder, now) -> None:
    from .models import Consultation, Paragraph

    consultation, created = Consultation.objects.get_or_create(
        municipality=shkoder,
        slug="programi-buxhetor-afatmesem-2027-2029",
        defaults={
            "title": "Programi buxhetor afatmesëm 2027–2029",
            "question": "Cilat investime duhet të kenë përparësi në tre vitet e ardhshme?",
            "opens": now - timedelta(days=3),
            "closes": now + timedelta(days=20),
        },
    )
    if created:
        for number, text in enumerate(
            (
                "Rikonstruksioni i rrugëve rurale në njësitë Postribë dhe Pult.",
                "Zgjerimi i ujësjellësit në Velipojë për sezonin turistik.",
                "Ndriçimi publik me energji diellore në lagjet periferike.",
            ),
            start=1,
        ):
            Paragraph.objects.create(consultation=consultation, number=number, text=text)


DEMO_PROPOSALS = [
    (
        "Ndriçim në rrugën e shkollës në Perash",
        "Fëmijët kthehen nga shkolla në errësirë.",
        "lighting",
    ),
    ("Më shumë pemë në bulevardin Skënderbeu", "Hije për këmbësorët gjatë verës.", "green"),
    ("Pastrimi i kanalit vaditës në Bërdicë", "Kanali është i bllokuar që nga pranvera.", "water"),
]


def _proposals(shkoder) -> None:
    from . import proposals
    from .models import Proposal

    if Proposal.objects.filter(municipality=shkoder).exists():
        return
    authors = _voters(shkoder, 12)
    with transaction.atomic():
        for i, (title, body, category) in enumerate(DEMO_PROPOSALS):
            made = proposals.create_proposal(
                shkoder, author=authors[i], title=title, body=body, category=category
            )
            for fan in authors[3 : 3 + 3 * (i + 1)]:
                proposals.support(made, user=fan)
