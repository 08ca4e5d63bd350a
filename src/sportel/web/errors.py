"""Error pages in the visitor's language, with the site's layout (never Django's debug page).

LocaleMiddleware has already chosen the language from the URL (``/en/...`` is English), so a
404 at ``/en/nonexistent`` is English and one at ``/nonexistent`` Albanian.
"""

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation

from sportel.core.api_errors import api_language, not_found_body

from .context_processors import layout_context


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    """Staff who are signed in are sent back to their own work, not to the municipality list."""
    user = getattr(request, "user", None)
    staff_homes = []
    if user is not None and user.is_authenticated:
        from sportel.accounts.selectors import staff_municipalities

        staff_homes = list(staff_municipalities(user).order_by("name"))
    return render(request, "errors/403.html", {"staff_homes": staff_homes}, status=403)


def csrf_failure(request, reason=""):
    """A form posted without a valid CSRF token (expired session, cookies blocked): say so."""
    return render(request, "errors/403_csrf.html", status=403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/v1/"):
        # A path the API does not have: its error shape, not a page.
        with translation.override(api_language(request)):
            return JsonResponse(not_found_body(), status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Rendered without the request so no context processor runs: the database (sessions, the
    # user, the tenant) may be why we are here. The layout's own context needs no database.
    context = layout_context(request.get_full_path())
    return HttpResponseServerError(loader.get_template("errors/500.html").render(context))
