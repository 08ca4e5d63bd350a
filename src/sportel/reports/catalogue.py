"""The categories Shkodër and Lezhë start with (both languages), as data.

Groups hold services (the Open311 service codes); each service has its team, deadline in working
days, severity, duplicate radius (larger for linear things: channels, roads) and questions.
"""

from django.db import transaction

from .models import Category, CategoryAttribute

YES_NO = [
    {"key": "yes", "name_sq": "Po", "name_en": "Yes"},
    {"key": "no", "name_sq": "Jo", "name_en": "No"},
]


def _q(code, datatype, sq, en, *, required=False, values=None, hint_sq="", hint_en=""):
    return {
        "code": code,
        "datatype": datatype,
        "required": required,
        "description_sq": sq,
        "description_en": en,
        "values": values or [],
        "datatype_description_sq": hint_sq,
        "datatype_description_en": hint_en,
    }


def _s(code, sq, en, team, *, days, severity, radius, questions=(), d_sq="", d_en=""):
    return {
        "code": code,
        "name_sq": sq,
        "name_en": en,
        "team": team,
        "deadline_working_days": days,
        "severity": severity,
        "duplicate_radius_m": radius,
        "questions": list(questions),
        "description_sq": d_sq,
        "description_en": d_en,
    }


IRRIGATION_TEAM = "Drejtoria e Ujitjes dhe Kullimit"
ROADS_TEAM = "Drejtoria e Infrastrukturës Vendore"
SERVICES_TEAM = "Ndërmarrja e Shërbimeve Publike"

CATEGORIES = [
    (
        "irrigation",
        "Ujitje dhe kullim",
        "Irrigation and drainage",
        [
            _s(
                "irrigation-channel",
                "Kanal vaditës i bllokuar",
                "Blocked irrigation channel",
                IRRIGATION_TEAM,
                days=10,
                severity=4,
                radius=400,
                d_sq="Kanal vaditës i mbushur me mbeturina, bimësi ose baltë; uji nuk kalon.",
                d_en="An irrigation channel filled with waste, vegetation or silt; water cannot pass.",
                questions=[
                    _q(
                        "channel_type",
                        "singlevaluelist",
                        "Çfarë kanali është?",
                        "Which kind of channel is it?",
                        required=True,
                        values=[
                            {
                                "key": "primary",
                                "name_sq": "Kanal kryesor",
                                "name_en": "Main channel",
                            },
                            {
                                "key": "secondary",
                                "name_sq": "Kanal dytësor",
                                "name_en": "Secondary",
                            },
                            {
                                "key": "tertiary",
                                "name_sq": "Kanal fushor",
                                "name_en": "Field channel",
                            },
                        ],
                    ),
                    _q(
                        "cause",
                        "multivaluelist",
                        "Çfarë e bllokon?",
                        "What blocks it?",
                        values=[
                            {"key": "waste", "name_sq": "Mbeturina", "name_en": "Waste"},
                            {"key": "vegetation", "name_sq": "Bimësi", "name_en": "Vegetation"},
                            {"key": "silt", "name_sq": "Baltë", "name_en": "Silt"},
                            {
                                "key": "bank",
                                "name_sq": "Skarpat i shembur",
                                "name_en": "Collapsed bank",
                            },
                        ],
                    ),
                    _q(
                        "length_m",
                        "number",
                        "Sa metra janë të bllokuar?",
                        "How many metres are blocked?",
                        hint_sq="Afërsisht, në metra.",
                        hint_en="Roughly, in metres.",
                    ),
                    _q(
                        "fields_dry",
                        "singlevaluelist",
                        "A kanë mbetur ara pa ujë?",
                        "Are fields left without water?",
                        values=YES_NO,
                    ),
                ],
            ),
            _s(
                "drainage-channel",
                "Kanal kullues i bllokuar",
                "Blocked drainage channel",
                IRRIGATION_TEAM,
                days=10,
                severity=4,
                radius=400,
                questions=[
                    _q(
                        "flooding",
                        "singlevaluelist",
                        "A ka përmbytje?",
                        "Is there flooding?",
                        required=True,
                        values=YES_NO,
                    ),
                    _q("since", "datetime", "Që kur?", "Since when?"),
                ],
            ),
        ],
    ),
    (
        "roads",
        "Rrugë",
        "Roads",
        [
            _s(
                "pothole",
                "Gropë në rrugë",
                "Pothole",
                ROADS_TEAM,
                days=15,
                severity=3,
                radius=150,
                questions=[
                    _q("depth_cm", "number", "Sa e thellë është (cm)?", "How deep is it (cm)?"),
                ],
            ),
            _s(
                "damaged-bridge",
                "Urë ose mur mbajtës i dëmtuar",
                "Damaged bridge or retaining wall",
                ROADS_TEAM,
                days=5,
                severity=5,
                radius=100,
            ),
            _s(
                "road-sign",
                "Sinjalistikë rrugore e dëmtuar",
                "Damaged road sign",
                ROADS_TEAM,
                days=10,
                severity=2,
                radius=50,
            ),
        ],
    ),
    (
        "lighting",
        "Ndriçim publik",
        "Street lighting",
        [
            _s(
                "streetlight-out",
                "Ndriçim rrugor i fikur",
                "Street light out",
                SERVICES_TEAM,
                days=5,
                severity=2,
                radius=40,
                questions=[
                    _q(
                        "pole_number",
                        "string",
                        "Numri i shtyllës (nëse duket)",
                        "Pole number (if visible)",
                    ),
                ],
            ),
        ],
    ),
    (
        "waste",
        "Mbetje",
        "Waste",
        [
            _s(
                "uncollected-waste",
                "Mbetje të pambledhura",
                "Waste not collected",
                SERVICES_TEAM,
                days=2,
                severity=3,
                radius=60,
            ),
            _s(
                "illegal-dumping",
                "Hedhje e paligjshme mbetjesh",
                "Illegal dumping",
                SERVICES_TEAM,
                days=10,
                severity=3,
                radius=150,
            ),
        ],
    ),
    (
        "water",
        "Ujë dhe kanalizime",
        "Water and sewage",
        [
            _s(
                "water-leak",
                "Rrjedhje uji në rrugë",
                "Water leak in the street",
                "Ujësjellës Kanalizime",
                days=3,
                severity=3,
                radius=60,
            ),
            _s(
                "sewage-overflow",
                "Derdhje kanalizimi",
                "Sewage overflow",
                "Ujësjellës Kanalizime",
                days=2,
                severity=4,
                radius=100,
            ),
        ],
    ),
    (
        "public-space",
        "Hapësira publike",
        "Public space",
        [
            _s(
                "playground",
                "Kënd lojërash i dëmtuar",
                "Damaged playground",
                SERVICES_TEAM,
                days=10,
                severity=3,
                radius=50,
            ),
            _s(
                "park-furniture",
                "Stol ose kosh i dëmtuar",
                "Damaged bench or bin",
                SERVICES_TEAM,
                days=15,
                severity=1,
                radius=30,
            ),
        ],
    ),
    (
        "trees",
        "Pemë dhe gjelbërim",
        "Trees and greenery",
        [
            _s(
                "fallen-tree",
                "Pemë e rrëzuar ose e rrezikshme",
                "Fallen or dangerous tree",
                SERVICES_TEAM,
                days=2,
                severity=4,
                radius=40,
            ),
            _s(
                "pruning",
                "Pemë që duhet krasitur",
                "Tree needs pruning",
                SERVICES_TEAM,
                days=20,
                severity=1,
                radius=40,
            ),
        ],
    ),
    (
        "animals",
        "Kafshë",
        "Animals",
        [
            _s(
                "stray-dogs",
                "Qen endacakë",
                "Stray dogs",
                "Shërbimi Veterinar",
                days=10,
                severity=3,
                radius=300,
                questions=[
                    _q("how_many", "number", "Sa qen janë?", "How many dogs are there?"),
                    _q(
                        "aggressive",
                        "singlevaluelist",
                        "A janë agresivë?",
                        "Are they aggressive?",
                        values=YES_NO,
                    ),
                ],
            ),
        ],
    ),
    (
        # Not "noise": that is the service's code, and codes are unique per municipality.
        "nuisance",
        "Zhurmë dhe shqetësime",
        "Noise and nuisance",
        [
            _s(
                "noise",
                "Zhurmë e tepërt",
                "Excessive noise",
                "Policia Bashkiake",
                days=5,
                severity=2,
                radius=100,
                questions=[
                    _q(
                        "source",
                        "singlevaluelist",
                        "Nga vjen zhurma?",
                        "Where does the noise come from?",
                        required=True,
                        values=[
                            {"key": "venue", "name_sq": "Lokal", "name_en": "Bar or venue"},
                            {
                                "key": "works",
                                "name_sq": "Punime ndërtimi",
                                "name_en": "Building works",
                            },
                            {"key": "traffic", "name_sq": "Trafik", "name_en": "Traffic"},
                            {"key": "other", "name_sq": "Tjetër", "name_en": "Other"},
                        ],
                    ),
                    _q("when", "datetime", "Kur ndodh?", "When does it happen?"),
                    _q("details", "text", "Diçka tjetër që duhet ditur?", "Anything else to know?"),
                ],
            ),
        ],
    ),
]


@transaction.atomic
def load_categories(municipality) -> int:
    """Create (or update) the standard categories for ``municipality``, with their questions
    when a category is new; returns the count."""
    count = 0
    for order, (code, sq, en, services) in enumerate(CATEGORIES, start=1):
        group, _ = Category.objects.update_or_create(
            municipality=municipality,
            code=code,
            defaults={"name_sq": sq, "name_en": en, "order": order * 10, "parent": None},
        )
        for sub, service in enumerate(services, start=1):
            questions = service.pop("questions", [])
            category, created = Category.objects.update_or_create(
                municipality=municipality,
                code=service["code"],
                defaults={**service, "parent": group, "order": order * 10 + sub},
            )
            service["questions"] = questions
            if not created:
                # Its questions are the administrator's now (settings page): added, reordered or
                # retired there, they are not put back here.
                count += 1
                continue
            for n, question in enumerate(questions, start=1):
                CategoryAttribute.objects.create(category=category, **question, order=n)
            count += 1
    return count
