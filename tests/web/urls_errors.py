"""Sportel's URLs plus test-only pages: two that fail on purpose, one that flashes messages."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
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


def flashes(request):
    messages.success(request, "Your application was sent.")
    messages.info(request, "Offices close early on Friday.")
    messages.error(request, "The payment did not go through.")
    return render(request, "web/accessibility.html")


*outside_languages, localized = sportel_urlpatterns
urlpatterns = [
    *outside_languages,
    *i18n_patterns(
        path("test/forbidden/", forbidden),
        path("test/broken/", broken),
        path("test/messages/", flashes),
        *localized.url_patterns,
        prefix_default_language=False,
    ),
]
