"""Log in with the national eID (e-Albania) over OpenID Connect.

mozilla-django-oidc runs the code flow (state, nonce, PKCE, ID-token signature against the
provider's JWKS); this backend maps the claims onto a Sportel account. The personal-number claim
(``OIDC_NID_CLAIM``, ``nid`` by default) is trusted: it proves the account's NID
(``identity.record_eid``). An existing account with the same verified NID, or a *confirmed*
account with the same email or phone that is not proven to be someone else, is reused.
"""

import logging

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sportel.core import audit
from sportel.core.identifiers import check_identifier

from . import identity
from .models import User
from .normalize import is_phone, login_identifier

logger = logging.getLogger(__name__)


def nid_claim_name() -> str:
    return getattr(settings, "OIDC_NID_CLAIM", "nid")


class EIDBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        """The provider unreachable, slow past ``OIDC_TIMEOUT`` or answering an error: the login
        fails (the resident sees the login page again), never a server error or a hung worker."""
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException as exc:
            logger.warning("eID provider call failed: %s", type(exc).__name__)
            return None

    def _nid(self, claims) -> str:
        value = claims.get(nid_claim_name()) or ""
        result = check_identifier(str(value), kind="nid")
        # The eID is the authority on the number: only a malformed one is ignored.
        return "" if result.error else result.value

    def _contacts(self, claims) -> tuple[str, str]:
        email = (claims.get("email") or "").strip().lower()
        phone = claims.get("phone_number") or ""
        phone = login_identifier(phone) if phone and is_phone(phone) else ""
        return email, phone

    def verify_claims(self, claims) -> bool:
        email, phone = self._contacts(claims)
        return bool(claims.get("sub")) and bool(self._nid(claims) or email or phone)

    def filter_users_by_claims(self, claims):
        nid = self._nid(claims)
        if nid:
            by_nid = User.objects.filter(nid=nid, nid_verified=True)
            if by_nid.exists():
                return by_nid
        email, phone = self._contacts(claims)
        # The account whose login is this email or phone first; then one that only lists it.
        # An account already proven to be someone else is never reused. An unconfirmed account
        # with this address is reused, but update_user takes it over (its password stops
        # working): signing up with someone's address proves nothing, and the eID must never
        # hand its assertion to an account an attacker opened in advance.
        candidates = User.objects.all()
        if nid:
            candidates = candidates.exclude(Q(nid_verified=True) & ~Q(nid=nid))
        logins = [value for value in (email, phone) if value]
        by_login = candidates.filter(username__in=logins).order_by("pk")[:1]
        if by_login:
            return by_login
        if email:
            return candidates.filter(email__iexact=email).order_by("pk")[:1]
        return User.objects.none()

    def describe_user_by_claims(self, claims) -> str:
        return "the eID subject"  # never the email or NID: logs carry no personal data

    @transaction.atomic
    def create_user(self, claims):
        email, phone = self._contacts(claims)
        nid = self._nid(claims)
        username = email or phone or f"eid:{nid or claims['sub']}"
        if User.objects.filter(username=username).exists():
            # That login belongs to an account proven to be someone else (see above).
            username = f"eid:{nid or claims['sub']}"
        user = User.objects.create_user(
            username,
            None,
            email=email,
            phone=phone,
            full_name=(claims.get("name") or "").strip()[:200],
            confirmed_at=timezone.now(),
        )
        if nid:
            identity.record_eid(user, nid)
        audit.record(
            "account.sign_up",
            actor=user,
            obj=user,
            subject_user=user,
            data={"channel": "eid", "nid_verified": bool(nid)},
        )
        return user

    @transaction.atomic
    def update_user(self, user, claims):
        nid = self._nid(claims)
        changed = []
        if nid and (user.nid != nid or user.nid_verified_via != "eid"):
            identity.record_eid(user, nid)
            user.refresh_from_db()
            changed += ["nid", "nid_verified"]
        if not user.full_name and claims.get("name"):
            user.full_name = claims["name"].strip()[:200]
            changed.append("full_name")
        if user.confirmed_at is None:
            # The national eID has identified the person: that is stronger than our own link.
            # Whoever opened this unconfirmed account and chose its password may not be this
            # person: the password stops working (and with it every session opened with it).
            user.confirmed_at = timezone.now()
            user.set_unusable_password()
            changed += ["confirmed_at", "password"]
        if changed:
            user.save(update_fields=changed)
            audit.record(
                "account.eid_update",
                actor=user,
                obj=user,
                subject_user=user,
                data={"fields": changed},
            )
        return user
