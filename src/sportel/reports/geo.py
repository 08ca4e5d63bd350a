"""Places: is a point inside the municipality, how far apart two points are.

Sportel ships no boundary polygons; each municipality has a bounding box (the demo ones measured
on OpenStreetMap, the others Albania's box until an administrator narrows it), which is enough
to refuse a pin dropped in the sea or in another municipality's far corner.
"""

import math
from decimal import Decimal

# (south, west, north, east)
ALBANIA = (39.6, 19.2, 42.7, 21.1)
BOUNDS = {
    "shkoder": (41.85, 19.28, 42.38, 19.78),
    "lezhe": (41.62, 19.44, 41.95, 19.87),
}
# A point for each of the demo municipalities' administrative units (the village or town
# centre), so a report placed by unit alone still sits on the map and clusters.
UNIT_CENTRES = {
    ("shkoder", "dajc"): (41.9826, 19.4233),
    ("shkoder", "shkoder"): (42.0683, 19.5126),
    ("shkoder", "ana-e-malit"): (42.0333, 19.3667),
    ("shkoder", "berdice"): (42.0167, 19.4667),
    ("shkoder", "guri-i-zi"): (42.0333, 19.5667),
    ("shkoder", "postribe"): (42.1167, 19.5667),
    ("shkoder", "pult"): (42.2167, 19.7167),
    ("shkoder", "rrethinat"): (42.0833, 19.4833),
    ("shkoder", "shale"): (42.3000, 19.7500),
    ("shkoder", "shosh"): (42.2333, 19.7667),
    ("shkoder", "velipoje"): (41.8667, 19.4167),
    ("lezhe", "lezhe"): (41.7836, 19.6436),
    ("lezhe", "shengjin"): (41.8136, 19.5939),
    ("lezhe", "balldren"): (41.8167, 19.6333),
    ("lezhe", "zejmen"): (41.7167, 19.6667),
    ("lezhe", "shenkoll"): (41.7000, 19.6000),
    ("lezhe", "kallmet"): (41.8500, 19.7000),
    ("lezhe", "blinisht"): (41.8667, 19.6000),
    ("lezhe", "dajc"): (41.8833, 19.5667),
    ("lezhe", "ungrej"): (41.8500, 19.8000),
    ("lezhe", "kolsh"): (41.7500, 19.7000),
}


def bounds(municipality_slug: str) -> tuple[float, float, float, float]:
    return BOUNDS.get(municipality_slug, ALBANIA)


def inside(municipality_slug: str, lat, long) -> bool:
    south, west, north, east = bounds(municipality_slug)
    return south <= float(lat) <= north and west <= float(long) <= east


def centre(municipality_slug: str) -> tuple[float, float]:
    south, west, north, east = bounds(municipality_slug)
    return ((south + north) / 2, (west + east) / 2)


def unit_centre(municipality_slug: str, unit_slug: str) -> tuple[Decimal, Decimal] | None:
    point = UNIT_CENTRES.get((municipality_slug, unit_slug))
    return (Decimal(str(point[0])), Decimal(str(point[1]))) if point else None


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres (haversine, WGS84 mean radius)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6_371_008.8 * 2 * math.asin(math.sqrt(a))


def box_around(lat, long, radius_m: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """A lat/long box that holds the circle: an index-friendly prefilter before distance_m."""
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(0.01, math.cos(math.radians(float(lat)))))
    q = Decimal("0.000001")
    return (
        Decimal(float(lat) - dlat).quantize(q),
        Decimal(float(long) - dlon).quantize(q),
        Decimal(float(lat) + dlat).quantize(q),
        Decimal(float(long) + dlon).quantize(q),
    )
