"""Error pages in the visitor's language, with the site's layout (never Django's debug page)."""

from django.shortcuts import render


def _page(request, status: int, template: str):
    return render(request, template, status=status)


def bad_request(request, exception=None):
    return _page(request, 400, "errors/400.html")


def permission_denied(request, exception=None):
    return _page(request, 403, "errors/403.html")


def page_not_found(request, exception=None):
    return _page(request, 404, "errors/404.html")


def server_error(request):
    # No context processors that touch the database: the database may be why we are here.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("errors/500.html").render({}))
