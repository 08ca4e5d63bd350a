"""A tiny OpenID Connect provider for tests: django-oauth-toolkit in OIDC mode, standing in for
the national eID (e-Albania). Started in a subprocess by tests/accounts/test_oidc.py."""
