"""What every page's layout needs: tenant, language switch, navigation, phase banner.

Only ``navigation`` may touch the database (the signed-in user's staff roles), and only when a
template reads it; the 500 page renders without any of this (see errors.py).
"""

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse, translate_url
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Language names as their speakers write them: a switch is read by someone who does not
# understand the current page's language.
NATIVE_LANGUAGE_NAMES = {"sq": "Shqip", "en": "English"}


def switch_language_url(full_path: str, language: str) -> str:
    """The same page (path and query string) in ``language``.

    Resolvable pages go through Django's ``translate_url`` (it also translates translated URL
    patterns); a path that resolves nowhere (a 404) keeps its path and only changes the prefix.
    """
    translated = translate_url(full_path, language)
    if translated != full_path:
        return translated
    path, sep, query = full_path.partition("?")
    prefixes = {f"/{code}/": code for code, _name in settings.LANGUAGES}
    for prefix in prefixes:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            path = "/" + path[len(prefix) :]
            break
    if language != settings.LANGUAGE_CODE:
        path = f"/{language}{path}"
    return path + sep + query


def language_switch(full_path: str, current: str) -> dict:
    """``language_urls`` {code: url} and ``language_links`` for the switch in the header."""
    urls = {code: switch_language_url(full_path, code) for code, _name in settings.LANGUAGES}
    links = [
        {
            "code": code,
            "name": NATIVE_LANGUAGE_NAMES.get(code, code),
            "url": urls[code],
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]
    return {"language_urls": urls, "language_links": links}


def _first_url(*names: str, **kwargs) -> str | None:
    for name in names:
        try:
            return reverse(name, kwargs=kwargs or None)
        except NoReverseMatch:
            continue
    return None


def _kiosk_slug(request) -> str | None:
    """The municipality of the kiosk page being served, if it is one."""
    match = getattr(request, "resolver_match", None)
    if match is None or not {"kiosk", "kiosk-accounts"} & set(match.namespaces):
        return None
    return match.kwargs.get("municipality_slug")


def navigation_for(request) -> list[dict]:
    """The header's links for this visitor: log in / sign up, or account / staff home / log out."""
    user = getattr(request, "user", None)
    items: list[dict] = []
    kiosk = _kiosk_slug(request)
    if kiosk:
        # A shared screen: no sign-up, no account pages; log in at the kiosk or finish.
        if user is None or not user.is_authenticated:
            login = reverse("kiosk-accounts:login", kwargs={"municipality_slug": kiosk})
            return [{"label": _("Log in"), "url": login}]
        finish = reverse("kiosk:finish", kwargs={"municipality_slug": kiosk})
        return [{"label": _("Finish and log out"), "url": finish, "post": True}]
    if user is None or not user.is_authenticated:
        login = _first_url("accounts:login")
        if login:
            items.append(
                {
                    "label": _("Log in"),
                    "url": f"{login}?{urlencode({'next': request.get_full_path()})}",
                }
            )
        signup = _first_url("accounts:signup", "accounts:sign-up")
        if signup:
            items.append({"label": _("Create an account"), "url": signup})
        return items
    account = _first_url("accounts:account", "accounts:profile", "accounts:home")
    if account:
        items.append({"label": _("Your account"), "url": account})
    municipality = getattr(request, "municipality", None)
    roles = list(user.staff_roles.select_related("municipality").order_by("municipality__name"))
    if roles:
        # The staff home of the municipality being viewed if the user works there, else the first.
        slugs = [role.municipality.slug for role in roles]
        slug = municipality.slug if municipality and municipality.slug in slugs else slugs[0]
        staff = _first_url("staff:home", "accounts:staff-home", municipality_slug=slug)
        if staff:
            items.append({"label": _("Staff home"), "url": staff})
    if getattr(user, "is_platform_operator", False) and user.is_staff:
        items.append({"label": _("Platform administration"), "url": reverse("admin:index")})
    logout = _first_url("accounts:logout")
    if logout:
        items.append({"label": _("Log out"), "url": logout, "post": True})
    return items


_footer_cache: dict[tuple, list[dict]] = {}


def footer_links() -> list[dict]:
    """The footer's links, worked out once per language and URL configuration.

    They depend on nothing in the request, and trying the URL names of modules that are not
    installed (NoReverseMatch) on every page was a measurable part of the home page's CPU time.
    """
    key = (
        get_language(),
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
        getattr(settings, "SPORTEL_SOURCE_URL", ""),
    )
    if key not in _footer_cache:
        _footer_cache[key] = _footer_links()
    return _footer_cache[key]


def _footer_links() -> list[dict]:
    """Open data, document verification, source code, accessibility statement (no database).

    The source-code link appears only when the operator sets ``SPORTEL_SOURCE_URL`` (where this
    deployment's code is published, as the AGPL asks): a guessed address would be a dead link.
    """
    candidates = [
        (_("Open data"), _first_url("opendata:home", "opendata:index", "opendata:datasets")),
        (_("Verify a document"), _first_url("documents:verify", "documents:verify-form")),
        (_("Source code"), getattr(settings, "SPORTEL_SOURCE_URL", "")),
        (_("Accessibility statement"), _first_url("web:accessibility")),
    ]
    return [{"label": label, "url": url} for label, url in candidates if url]


def layout_context(full_path: str) -> dict:
    """The part of the layout's context that needs neither the database nor a user (500 page)."""
    return {
        **language_switch(full_path, get_language()),
        "footer_links": footer_links(),
        "site_name": "Sportel",
        "demo_site": not settings.PRODUCTION,
        # Links printed on paper (receipts) need the whole address, from the one setting.
        "public_url": settings.SPORTEL_PUBLIC_URL.rstrip("/"),
        # Maps (web/map_assets.html, sportel/map.js): the tile server, or none.
        "map_tile_url": settings.SPORTEL_MAP_TILE_URL,
        "map_attribution": settings.SPORTEL_MAP_ATTRIBUTION,
    }


def sportel(request):
    """The tenant, the language-switch URLs (same page, other language), navigation, phase."""
    return {
        "municipality": getattr(request, "municipality", None),
        **layout_context(request.get_full_path()),
        "navigation": SimpleLazyObject(lambda: navigation_for(request)),
    }
