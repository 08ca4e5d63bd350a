"""The visitor's address, as login throttling and the failed-login notices see it.

Behind a reverse proxy every request comes from the proxy, so ``REMOTE_ADDR`` alone would put
every visitor in one bucket. ``X-Forwarded-For`` is only believed when the peer that sent it is
one of ``SPORTEL_TRUSTED_PROXIES`` (addresses or networks); then the chain is read from the
right, skipping the trusted proxies, and the first address that is not one of them is the
client. Whatever the client itself wrote at the left of the header is never reached unless every
hop after it is trusted, so a visitor cannot choose the address it is counted under.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec if item)


def _parse(value: str):
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.5:443
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def trusted_proxies() -> tuple:
    return _networks(tuple(getattr(settings, "SPORTEL_TRUSTED_PROXIES", ())))


def _trusted(address, networks) -> bool:
    return any(address in network for network in networks if address.version == network.version)


def client_ip(request) -> str:
    """The client's address for ``request`` (see the module docstring for the rule)."""
    peer_text = request.META.get("REMOTE_ADDR", "") or ""
    peer = _parse(peer_text)
    networks = trusted_proxies()
    if peer is None or not _trusted(peer, networks):
        return peer_text
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
    client = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:  # a malformed hop: believe nothing further left of it
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
