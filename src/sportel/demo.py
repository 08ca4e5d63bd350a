"""Demo data: Shkodër and Lezhë with their real units, a citizen and one user per staff role.

Every demo password is printed by ``sportel demo``; staff pass 2FA with ``sportel demo-otp USER``.
Modules add their own demo data by appending a function to ``SEEDERS``.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

DEMO_PASSWORD = "demo-Sportel-2026"  # noqa: S105 -- printed on purpose: this is demo data
DEMO_MUNICIPALITIES = {"shkoder", "lezhe"}
# A demo TOTP secret per user would be guessable; each device gets a random key instead.

DEMO_USERS = [
    # (login, full name, municipality, role or None for citizens, platform operator?)
    ("qytetar@demo.sportel.al", "Arta Krasniqi", None, None, False),
    ("sportel.shkoder@demo.sportel.al", "Blerim Hoxha", "shkoder", "clerk", False),
    ("specialist.shkoder@demo.sportel.al", "Drita Marku", "shkoder", "specialist", False),
    ("tatime.shkoder@demo.sportel.al", "Gjergj Pali", "shkoder", "tax_officer", False),
    ("drejtor.shkoder@demo.sportel.al", "Mirela Gjoka", "shkoder", "manager", False),
    ("admin.shkoder@demo.sportel.al", "Ilir Daci", "shkoder", "administrator", False),
    ("sportel.lezhe@demo.sportel.al", "Klodiana Prendi", "lezhe", "clerk", False),
    ("operator@demo.sportel.al", "Operatori i Platformës", None, None, True),
]
DEMO_CITIZEN_NID = "J00101001C"  # a valid check letter; see core.identifiers

SEEDERS: list[Callable[[], None]] = []


# Run after every module's data exists (e.g. publishing a signed tree head over all documents).
FINISHERS: list[Callable[[], None]] = []


def seeder(func: Callable[[], None]) -> Callable[[], None]:
    SEEDERS.append(func)
    return func


def finisher(func: Callable[[], None]) -> Callable[[], None]:
    FINISHERS.append(func)
    return func


@transaction.atomic
def seed_core() -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sportel.accounts.models import User
    from sportel.accounts.services import grant_role
    from sportel.core.models import Municipality
    from sportel.core.services import register_person
    from sportel.core.tenancy import load_municipalities

    load_municipalities(DEMO_MUNICIPALITIES)
    for login, name, slug, role, operator in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=login,
            defaults={
                "email": login,
                "full_name": name,
                "confirmed_at": timezone.now(),
                "is_platform_operator": operator,
                "is_staff": operator,
                "is_superuser": operator,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if role:
            # Through the service, so demo role grants are in the audit log like real ones.
            grant_role(user, Municipality.objects.get(slug=slug), role)
        if role or operator:
            TOTPDevice.objects.get_or_create(user=user, name="demo", defaults={"confirmed": True})
        if role is None and not operator:
            user.nid = DEMO_CITIZEN_NID
            user.save(update_fields=["nid"])
            register_person(
                Municipality.objects.get(slug="shkoder"),
                nid=DEMO_CITIZEN_NID,
                first_name="Arta",
                last_name="Krasniqi",
                email=login,
                user=user,
            )
    _verify_demo_citizen()


def _verify_demo_citizen() -> None:
    """The demo citizen's identity was proven at Shkodër's counter, as a real one would be
    (decision 0010): the clerk saw her identity card and she read out her account's code."""
    from sportel.accounts import identity
    from sportel.accounts.models import User
    from sportel.core.models import Municipality

    citizen = User.objects.get(username=DEMO_USERS[0][0])
    if citizen.nid_verified:
        return
    identity.verify_at_counter(
        Municipality.objects.get(slug="shkoder"),
        clerk=User.objects.get(username=DEMO_USERS[1][0]),
        code=identity.new_counter_code(citizen),
        nid=DEMO_CITIZEN_NID,
        document="id_card",
        document_seen=True,
    )


def seed_all() -> None:
    seed_core()
    for func in SEEDERS:
        func()
    for func in FINISHERS:
        func()
