from django.shortcuts import render

from sportel.core.selectors import units_of

from .links import municipal_links_for
from .selectors import municipality_directory


def home(request):
    """What Sportel is, and every municipality by county (filtered by ``?q=`` without JS)."""
    query = request.GET.get("q", "").strip()[:100]
    counties = municipality_directory(query)
    return render(
        request,
        "web/home.html",
        {
            "counties": counties,
            "matches": sum(len(county["municipalities"]) for county in counties),
            "query": query,
        },
    )


def municipality_home(request, municipality_slug: str):
    """A municipality's front door: its administrative units and the modules' entry points."""
    municipality = request.municipality
    return render(
        request,
        "web/municipality_home.html",
        {"units": units_of(municipality), "municipal_links": municipal_links_for(municipality)},
    )


def accessibility(request):
    return render(request, "web/accessibility.html")
