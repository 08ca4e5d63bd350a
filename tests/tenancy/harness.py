"""The tenancy harness: proves staff of one municipality can neither read nor change another's data.

Each module registers its routes here (in ``routes.py``) with :func:`tenant_route`. A route is a
function that, given the *owner* municipality and the test fixtures, creates one object there and
returns the :class:`Probe` to request it. ``test_isolation.py`` then logs in as staff of the
*other* municipality — once per role, second factor passed — and asserts 403 or 404 with none of
the object's marker text in the answer, and, as a control, that the owner's staff get a success.

A route whose object belongs to an account rather than to a staff role (a citizen's case or
draft) sets ``Probe.owner``: the control logs in as that account, the outsiders are still staff
of the other municipality, in every role.

:func:`uncovered` is the coverage check: every HTML URL pattern and every API operation must be
covered by a route here or stand, with its reason, in ``routes.PUBLIC`` (anyone may use it: no
municipality's private data) or ``routes.OWN_ACCOUNT`` (no object in the path: it lists or
creates only the logged-in account's own rows). ``test_every_route_is_covered`` fails when a new
page or operation is in neither, so a new module cannot forget its routes.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver

from sportel.accounts.roles import Role


@dataclass
class Probe:
    """One request against an object owned by the victim municipality."""

    url: str
    method: str = "GET"
    data: dict = field(default_factory=dict)
    json: bool = False
    # Text that identifies the object (a name, a number); it must not appear in a refusal.
    marker: str = ""
    # For writes: a callable that returns a value which must be unchanged after the refused request.
    state: Callable[[], object] | None = None
    # Multipart (a file upload) instead of a form or JSON body.
    multipart: bool = False
    # The account the object belongs to, when it is not staff (a citizen's case): the control
    # logs in as this user instead of as staff with ``owner_role``.
    owner: object = None


@dataclass
class TenantRoute:
    name: str
    url_names: tuple[str, ...]
    owner_role: Role
    make: Callable[..., Probe]
    ok_status: tuple[int, ...] = (200,)
    # A public page: outsiders get it like anyone; listed so the harness knows it was considered.
    public: bool = False
    # API operations it covers, as "METHOD /api/v1/path/{param}" (see ``api_operations``).
    operations: tuple[str, ...] = ()


ROUTES: list[TenantRoute] = []


def tenant_route(
    name: str,
    *,
    url_names: tuple[str, ...] = (),
    operations: tuple[str, ...] = (),
    owner_role: Role,
    ok_status=(200,),
    public=False,
):
    """Register ``make(municipality, ctx) -> Probe``; ``url_names`` are the URL names and
    ``operations`` the API operations it covers."""

    def decorator(make):
        ROUTES.append(
            TenantRoute(
                name,
                tuple(url_names),
                owner_role,
                make,
                tuple(ok_status),
                public,
                tuple(operations),
            )
        )
        return make

    return decorator


# --- coverage -----------------------------------------------------------------------------------
API_NAMESPACE = "api-v1"


def html_url_names(resolver) -> Iterable[str]:
    """Every HTML URL pattern, by namespaced name (``ns:name``; its route where it has none).
    The JSON API's own patterns are left to :func:`api_operations`."""

    def walk(resolver, namespace, route):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == API_NAMESPACE:
                    continue
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, ns, route + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield namespace + (entry.name or route + str(entry.pattern))

    return walk(resolver, "", "")


def api_operations(api, prefix="/api/v1/") -> Iterable[str]:
    """Every operation of a NinjaAPI as ``"METHOD /api/v1/path/{param}"``, read from the URL
    patterns it serves (so an operation left out of the OpenAPI document is still found)."""
    patterns, _app, _namespace = api.urls
    for pattern in patterns:
        path_view = _path_view(pattern.callback)
        if path_view is None:
            continue  # the OpenAPI document and its viewer
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        for operation in path_view.operations:
            for method in operation.methods:
                yield f"{method} {prefix}{route}"


def _path_view(view):
    # django-ninja serves each path through a closure over its PathView.
    for cell in getattr(view, "__closure__", None) or ():
        if hasattr(cell.cell_contents, "operations"):
            return cell.cell_contents
    return None


def uncovered(
    url_names: Iterable[str],
    operations: Iterable[str],
    routes: list[TenantRoute],
    allowed: Iterable[str],
) -> list[str]:
    """Pages and operations that no route covers and no allow-list names. A name in ``allowed``
    ending in ``:`` stands for a whole namespace (``admin:``)."""
    covered = {name for route in routes for name in (*route.url_names, *route.operations)}
    allowed = set(allowed)
    namespaces = tuple(name for name in allowed if name.endswith(":"))
    return sorted(
        name
        for name in (*url_names, *operations)
        if name not in covered and name not in allowed and not name.startswith(namespaces)
    )
