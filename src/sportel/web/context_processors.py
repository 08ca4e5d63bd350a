from django.conf import settings
from django.urls import translate_url


def sportel(request):
    """The tenant, the language-switch URLs (same page, other language) and the site name."""
    path = request.get_full_path()
    return {
        "municipality": getattr(request, "municipality", None),
        "language_urls": {code: translate_url(path, code) for code, _name in settings.LANGUAGES},
        "site_name": "Sportel",
    }
