"""Sportel's URLs plus two pages that fail on purpose, for the error-page tests."""

from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import PermissionDenied
from django.urls import path

from sportel.urls import (  # noqa: F401 -- the error handlers are looked up in this module
    handler400,
    handler403,
    handler404,
    handler500,
)
from sportel.urls import urlpatterns as sportel_urlpatterns


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a bug")


*outside_languages, localized = sportel_urlpatterns
urlpatterns = [
    *outside_languages,
    *i18n_patterns(
        path("test/forbidden/", forbidden),
        path("test/broken/", broken),
        *localized.url_patterns,
        prefix_default_language=False,
    ),
]
