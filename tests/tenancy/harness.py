"""The tenancy harness: proves staff of one municipality can neither read nor change another's data.

Each module registers its routes here (in ``routes.py``) with :func:`tenant_route`. A route is a
function that, given the *owner* municipality and the test fixtures, creates one object there and
returns the :class:`Probe` to request it. ``test_isolation.py`` then logs in as staff of the
*other* municipality — once per role, second factor passed — and asserts 403 or 404 with none of
the object's marker text in the answer, and, as a control, that the owner's staff get a success.

``test_every_staff_url_is_covered`` fails when a staff page (a view decorated with
``staff_required``) has no route here, so a new module cannot forget to add its routes.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass
class TenantRoute:
    name: str
    url_names: tuple[str, ...]
    owner_role: Role
    make: Callable[..., Probe]
    ok_status: tuple[int, ...] = (200,)
    # A public page: outsiders get it like anyone; listed so the harness knows it was considered.
    public: bool = False


ROUTES: list[TenantRoute] = []


def tenant_route(
    name: str, *, url_names: tuple[str, ...] = (), owner_role: Role, ok_status=(200,), public=False
):
    """Register ``make(municipality, ctx) -> Probe``; ``url_names`` are the URL names it covers."""

    def decorator(make):
        ROUTES.append(
            TenantRoute(name, tuple(url_names), owner_role, make, tuple(ok_status), public)
        )
        return make

    return decorator
