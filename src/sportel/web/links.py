"""Links other modules add to shared pages, without editing the web app's templates.

A module registers its entry points once, in its ``AppConfig.ready()``::

    from django.utils.translation import gettext_lazy as _
    from sportel.web.links import register_municipal_link

    register_municipal_link(
        "services:catalogue", _("Services"), _("Apply online and follow your case."), order=10
    )

Each municipality's home page (``/<slug>/``) then lists it. The URL name is reversed with
``municipality_slug`` when the route takes one (``/<slug>/services/``), else without arguments
(a platform-wide page such as ``/verify/``).
"""

import logging
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MunicipalLink:
    url_name: str
    label: str | Promise
    description: str | Promise = ""
    order: int = 100


municipal_links: list[MunicipalLink] = []


def register_municipal_link(
    url_name: str, label: str | Promise, description: str | Promise = "", *, order: int = 100
) -> None:
    """Add a link to every municipality's home page (once per URL name)."""
    if any(link.url_name == url_name for link in municipal_links):
        return
    municipal_links.append(MunicipalLink(url_name, label, description, order))


def reverse_for_municipality(url_name: str, municipality_slug: str) -> str | None:
    """The URL of ``url_name`` for this municipality, or None when no such route exists."""
    for kwargs in ({"municipality_slug": municipality_slug}, {}):
        try:
            return reverse(url_name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def municipal_links_for(municipality) -> list[dict]:
    """The registered links resolved for one municipality, in their order."""
    resolved = []
    for link in sorted(municipal_links, key=lambda link: (link.order, str(link.label))):
        url = reverse_for_municipality(link.url_name, municipality.slug)
        if url is None:
            logger.warning("municipal link %s does not resolve; skipped", link.url_name)
            continue
        resolved.append({"url": url, "label": link.label, "description": link.description})
    return resolved
