"""Demo accounts: a citizen and one user per staff role, registered with core's demo registry.

Every demo password is printed by ``sportel demo``; staff pass 2FA with ``sportel demo-otp USER``.
"""

from django.db import transaction
from django.utils import timezone

from sportel.core.demo import register_demo, register_demo_notes

DEMO_PASSWORD = "demo-Sportel-2026"  # noqa: S105 -- printed on purpose: this is demo data
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
# The demo citizen's phone (a reserved-looking number): kiosk sign-in sends its SMS code there,
# and the demo's file SMS provider writes it under SPORTEL_DATA_DIR/outbox/sms.
DEMO_CITIZEN_PHONE = "+355690000001"


@register_demo
@transaction.atomic
def seed_accounts() -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sportel.core.models import Municipality
    from sportel.core.services import register_person

    from .models import User
    from .services import grant_role

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
    _demo_child()


def _verify_demo_citizen() -> None:
    """The demo citizen's identity was proven at Shkodër's counter, as a real one would be
    (decision 0010): the clerk saw her identity card and she read out her account's code."""
    from sportel.core.models import Municipality

    from . import identity
    from .models import User

    citizen = User.objects.get(username=DEMO_USERS[0][0])
    if not citizen.phone:
        citizen.phone = DEMO_CITIZEN_PHONE
        citizen.save(update_fields=["phone"])
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


def _demo_child() -> None:
    """The demo citizen's daughter, recorded by Shkodër's clerk from her birth certificate: the
    citizen can obtain her family certificate online (decision 0010, verified relationships)."""
    import datetime as dt

    from sportel.core.identifiers import with_check_letter
    from sportel.core.models import Municipality

    from . import kin
    from .models import KinRelationship, User

    citizen = User.objects.get(username=DEMO_USERS[0][0])
    if KinRelationship.objects.filter(user=citizen).exists():
        return
    kin.record_relationship(
        Municipality.objects.get(slug="shkoder"),
        clerk=User.objects.get(username=DEMO_USERS[1][0]),
        parent_nid=DEMO_CITIZEN_NID,
        child_nid=with_check_letter("M65514001"),
        child_first_name="Ema",
        child_last_name="Krasniqi",
        child_birth_date=dt.date(2016, 5, 14),
        kind="parent",
        document="birth_cert",
        document_number="SHK-2016-001234",
        document_seen=True,
    )


@register_demo_notes
def logins() -> list[str]:
    lines = [f"Every demo user's password: {DEMO_PASSWORD}", ""]
    for login, name, slug, role, operator in DEMO_USERS:
        what = role or ("platform operator" if operator else "citizen")
        where = f" @ {slug}" if slug else ""
        lines.append(f"  {what + where:<28} {login}  ({name})")
    lines += [
        "",
        "Staff and the operator pass two-step verification with the current code from:",
        "  sportel demo-otp <login>     (e.g. .venv/bin/sportel demo-otp "
        "sportel.shkoder@demo.sportel.al)",
        "",
        f"At a kiosk the citizen signs in with her personal number {DEMO_CITIZEN_NID}; the SMS "
        "code sent to her phone is written under var/outbox/sms/ (the demo's file SMS provider).",
        "",
    ]
    return lines
