from django.shortcuts import render

from sportel.core.selectors import active_municipalities, units_of


def home(request):
    return render(request, "web/home.html", {"municipalities": active_municipalities()})


def municipality_home(request, municipality_slug: str):
    return render(
        request,
        "web/municipality_home.html",
        {"units": units_of(request.municipality)},
    )
