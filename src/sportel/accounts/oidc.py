"""Log in with the national eID (e-Albania) over OpenID Connect.

mozilla-django-oidc runs the code flow (state, nonce, PKCE, ID-token signature against the
provider's JWKS); this backend maps the claims onto a Sportel account. The personal-number claim
(``OIDC_NID_CLAIM``, ``nid`` by default) is trusted: it sets ``nid`` with ``nid_verified``.
An existing account with the same verified NID or the same email is reused, never duplicated.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sportel.core import audit
from sportel.core.identifiers import check_identifier

from .models import User
from .normalize import is_phone, login_identifier


def nid_claim_name() -> str:
    return getattr(settings, "OIDC_NID_CLAIM", "nid")


class EIDBackend(OIDCAuthenticationBackend):
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
        logins = [value for value in (email, phone) if value]
        by_login = User.objects.filter(username__in=logins).order_by("pk")[:1]
        if by_login:
            return by_login
        if email:
            return User.objects.filter(email__iexact=email)
        return User.objects.none()

    def describe_user_by_claims(self, claims) -> str:
        return "the eID subject"  # never the email or NID: logs carry no personal data

    @transaction.atomic
    def create_user(self, claims):
        email, phone = self._contacts(claims)
        nid = self._nid(claims)
        username = email or phone or f"eid:{nid or claims['sub']}"
        user = User.objects.create_user(
            username,
            None,
            email=email,
            phone=phone,
            full_name=(claims.get("name") or "").strip()[:200],
            nid=nid,
            nid_verified=bool(nid),
            confirmed_at=timezone.now(),
        )
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
        if nid and (user.nid != nid or not user.nid_verified):
            user.nid, user.nid_verified = nid, True
            changed += ["nid", "nid_verified"]
        if not user.full_name and claims.get("name"):
            user.full_name = claims["name"].strip()[:200]
            changed.append("full_name")
        if user.confirmed_at is None:
            # The national eID has identified the person: that is stronger than our own link.
            user.confirmed_at = timezone.now()
            changed.append("confirmed_at")
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
