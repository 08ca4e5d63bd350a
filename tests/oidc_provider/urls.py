import os
from urllib.parse import parse_qsl, urlencode, urlparse

from django.contrib.auth.views import LoginView, redirect_to_login
from django.urls import include, path
from django.utils import timezone
from oauth2_provider import views as oauth_views


def provider_mode() -> str:
    """``strict`` (the default: prompt=login and max_age are honoured), ``lax`` (both are
    ignored, as a careless provider might) or ``no_auth_time`` (the ID token has no auth_time).
    Tests switch it by writing to the file named by ``OIDC_PROVIDER_MODE_FILE``."""
    name = os.environ.get("OIDC_PROVIDER_MODE_FILE")
    if name and os.path.exists(name):
        with open(name) as handle:
            return handle.read().strip() or "strict"
    return "strict"


class AuthorizationView(oauth_views.AuthorizationView):
    """django-oauth-toolkit honours ``prompt=login``; this adds ``max_age`` (OpenID Connect Core
    3.1.2.1): a login older than ``max_age`` seconds is asked again. The login page sends the
    person back with ``prompt`` and ``max_age`` removed, so logging in satisfies them once."""

    def _to_login(self):
        parsed = urlparse(self.request.get_full_path())
        query = {k: v for k, v in parse_qsl(parsed.query) if k not in ("prompt", "max_age")}
        return redirect_to_login(
            parsed._replace(query=urlencode(query)).geturl(), self.get_login_url()
        )

    def dispatch(self, request, *args, **kwargs):
        if provider_mode() == "lax" and request.method == "GET":
            query = request.GET.copy()
            query.pop("prompt", None)
            query.pop("max_age", None)
            request.GET = query
        return super().dispatch(request, *args, **kwargs)

    def handle_prompt_login(self):
        return self._to_login()

    def handle_no_permission(self):
        prompt = set(self.request.GET.get("prompt", "").split())
        if "max_age" in self.request.GET and "none" not in prompt:
            return self._to_login()
        return super().handle_no_permission()

    def get(self, request, *args, **kwargs):
        max_age = request.GET.get("max_age")
        if max_age is not None and "login" not in request.GET.get("prompt", "").split():
            try:
                seconds = int(max_age)
            except ValueError:
                seconds = 0
            last = request.user.last_login
            if last is None or (timezone.now() - last).total_seconds() > seconds:
                return self._to_login()
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("login/", LoginView.as_view(template_name="eid_login.html"), name="login"),
    path("o/authorize/", AuthorizationView.as_view(), name="authorize"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
