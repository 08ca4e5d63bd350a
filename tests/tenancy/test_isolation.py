import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from sportel.accounts.roles import Role

from . import routes  # noqa: F401 -- registers the routes
from .harness import ROUTES, Probe


class Ctx:
    def __init__(self, shkoder, lezhe, make_staff):
        self.shkoder, self.lezhe, self.make_staff = shkoder, lezhe, make_staff

    def person(self, municipality, nid="J00101001C"):
        from sportel.core.services import register_person

        return register_person(municipality, nid=nid, first_name="Vera", last_name="Shiroka").obj


def _request(client, probe: Probe):
    if probe.method == "GET":
        return client.get(probe.url)
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
    client = verified_client(make_staff(shkoder, route.owner_role))
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


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{entry.namespace}:" if entry.namespace else ""
            yield from _patterns(entry, prefix + ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name, entry.callback


def test_every_staff_url_is_covered_by_the_harness():
    staff_urls = {
        name
        for name, callback in _patterns(get_resolver())
        if hasattr(callback, "staff_permission")
    }
    covered = {name for route in ROUTES for name in route.url_names}
    missing = sorted(staff_urls - covered)
    assert not missing, f"staff URLs with no tenancy route in tests/tenancy/routes.py: {missing}"
