import re

from sportel.services.models import Application

from .test_views import logged_in, url


def strip(html):
    m = re.search(r"<main.*?</main>", html, re.S)
    t = re.sub(r"<[^>]+>", " ", m.group(0) if m else html)
    return re.sub(r"\s+", " ", t)[:3000]


def test_dbg(catalogue, client, citizen):
    c = logged_in(citizen)
    r = c.post(
        url("services:apply", code="tax-clearance-certificate"),
        {"continue": "1", "purpose": "Tender"},
    )
    pk = Application.objects.get().pk
    r = c.post(url("services:draft-review", pk=pk))
    print("REVIEW", strip(r.content.decode()))
