import pytest
from django.urls import get_resolver, path
from django.urls.resolvers import RoutePattern, URLResolver
from ninja import NinjaAPI, Router

from sportel.accounts.roles import Role
from sportel.api import api

from . import routes
from .harness import ROUTES, Probe, api_operations, html_url_names, uncovered


class Ctx:
    def __init__(self, shkoder, lezhe, make_staff):
        self.shkoder, self.lezhe, self.make_staff = shkoder, lezhe, make_staff

    def person(self, municipality, nid="J00101001C"):
        from sportel.core.services import register_person

        return register_person(municipality, nid=nid, first_name="Vera", last_name="Shiroka").obj


def _request(client, probe: Probe):
    if probe.method == "GET":
        return client.get(probe.url)
    if probe.multipart:
        return client.post(probe.url, probe.data)
    if probe.json:
        import json

        return client.generic(
            probe.method, probe.url, json.dumps(probe.data), content_type="application/json"
        )
    return client.generic(
        probe.method,
        probe.url,
        "&".join(f"{k}={v}" for k, v in probe.data.items()),
        content_type="application/x-www-form-urlencoded",
    )


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_owner_staff_reach_the_route(route, shkoder, lezhe, make_staff, verified_client):
    """The control: without it a route that 404s for everyone would pass the isolation test."""
    ctx = Ctx(shkoder, lezhe, make_staff)
    probe = route.make(shkoder, ctx)
    client = verified_client(probe.owner or make_staff(shkoder, route.owner_role))
    response = _request(client, probe)
    assert response.status_code in route.ok_status, response.content[:500]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_staff_of_lezhe_cannot_read_or_change_shkoder_data(
    route, role, shkoder, lezhe, make_staff, verified_client, client
):
    ctx = Ctx(shkoder, lezhe, make_staff)
    probe = route.make(shkoder, ctx)
    before = probe.state() if probe.state else None
    outsider = verified_client(make_staff(lezhe, role))
    response = _request(outsider, probe)
    if route.public:
        assert response.status_code == 200
        return
    assert response.status_code in (403, 404), (
        f"{probe.method} {probe.url} → {response.status_code}"
    )
    if probe.marker:
        assert probe.marker not in response.content.decode(errors="replace")
    if probe.state:
        assert probe.state() == before, "a refused request changed data"


ALLOWED = {**routes.PUBLIC, **routes.OWN_ACCOUNT}


def test_every_route_is_covered_by_the_harness():
    """Every page and every API operation: covered by a route, or allow-listed with a reason."""
    missing = uncovered(html_url_names(get_resolver()), api_operations(api), ROUTES, ALLOWED)
    assert not missing, (
        "routes with no tenancy probe in tests/tenancy/routes.py (add one, or list the route in "
        f"PUBLIC / OWN_ACCOUNT with the reason): {missing}"
    )


def test_every_staff_page_has_a_probe_not_an_allow_list_entry():
    staff_pages = {
        name
        for name, callback in _named_callbacks(get_resolver())
        if hasattr(callback, "staff_permission")
    }
    assert staff_pages, "no staff page found: the walk is broken"
    assert not staff_pages & set(ALLOWED)
    assert not uncovered(staff_pages, (), ROUTES, ())


def test_the_allow_lists_name_only_routes_that_exist():
    """A stale entry (a route renamed or removed) would hide its successor."""
    known = set(html_url_names(get_resolver())) | set(api_operations(api))
    stale = sorted(n for n in ALLOWED if not n.endswith(":") and n not in known)
    assert not stale, stale


def test_the_coverage_check_reports_a_new_page_and_a_new_operation():
    """The harness fails for the right reason: a route added without a probe is named."""

    def secrets(request, municipality_slug):  # pragma: no cover - never requested
        raise AssertionError

    resolver = get_resolver()
    with_new_page = URLResolver(
        RoutePattern(""),
        [
            *resolver.url_patterns,
            path("<slug:municipality_slug>/secrets/", secrets, name="secrets"),
        ],
    )
    router = Router()

    @router.get("/municipalities/{slug}/secrets")
    def list_secrets(request, slug: str):  # pragma: no cover - never requested
        raise AssertionError

    new_api = NinjaAPI(urls_namespace="tenancy-harness-test")
    new_api.add_router("/", router)
    operations = [*api_operations(api), *api_operations(new_api)]
    missing = uncovered(html_url_names(with_new_page), operations, ROUTES, ALLOWED)
    assert missing == ["GET /api/v1/municipalities/{slug}/secrets", "secrets"]


def _named_callbacks(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{entry.namespace}:" if entry.namespace else ""
            yield from _named_callbacks(entry, prefix + ns)
        elif entry.name:
            yield prefix + entry.name, entry.callback
