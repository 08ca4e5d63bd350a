"""Log in with an email address or a phone number and a password."""

from django.contrib.auth.backends import ModelBackend

from .normalize import login_identifier


class LoginBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        return super().authenticate(
            request, username=login_identifier(username), password=password, **kwargs
        )
