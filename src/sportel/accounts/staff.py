"""Links on the staff home. Each module registers its staff pages here, with the permission
that opens them, so a clerk sees only the links their roles allow."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from . import permissions
from .roles import roles_with


@dataclass(frozen=True)
class StaffLink:
    label: str | Promise
    url_name: str  # reversed with municipality_slug
    permission: str
    description: str | Promise = ""


STAFF_LINKS: list[StaffLink] = []


def register_staff_link(
    label: str | Promise, url_name: str, permission: str, description: str | Promise = ""
) -> None:
    """Add a link to the staff home, e.g. from a module's ``AppConfig.ready()``."""
    roles_with(permission)  # fails early on an unknown permission
    link = StaffLink(label, url_name, permission, description)
    if link not in STAFF_LINKS:
        STAFF_LINKS.append(link)


def links_for(user, municipality) -> list[dict]:
    """The links whose permission ``user`` holds in ``municipality``."""
    return [
        {
            "label": link.label,
            "description": link.description,
            "url": reverse(link.url_name, kwargs={"municipality_slug": municipality.slug}),
        }
        for link in STAFF_LINKS
        if permissions.has_permission(user, municipality, link.permission)
    ]
