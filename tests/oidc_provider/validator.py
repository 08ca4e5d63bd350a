import json
import os

from oauth2_provider.oauth2_validators import OAuth2Validator


class EIDValidator(OAuth2Validator):
    """Adds the claims a national eID asserts: name, email and the personal number (``nid``)."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "nid": "profile"}

    def get_additional_claims(self, request):
        citizen = json.loads(os.environ["OIDC_PROVIDER_CITIZEN"])
        return {
            "name": citizen["name"],
            "email": citizen["email"],
            "email_verified": True,
            "nid": citizen["nid"],
        }

    def get_id_token_dictionary(self, token, token_handler, request):
        from .urls import provider_mode

        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        if provider_mode() == "no_auth_time":
            claims.pop("auth_time", None)
        return claims, expiration
