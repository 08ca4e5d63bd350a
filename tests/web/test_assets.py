"""The design system is served by Sportel itself: no CDN, no GDS typeface, no crown."""

from pathlib import Path

from django.core.management import call_command
from lxml import html

import sportel

STATIC = Path(sportel.__file__).parent / "web" / "static"
GOVUK = STATIC / "vendor" / "govuk"


def test_the_compiled_stylesheet_uses_system_fonts_and_our_colour():
    css = (GOVUK / "govuk-frontend.min.css").read_text()
    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert "system-ui" in css
    assert "#a50e1c" in css.lower(), "the brand colour is compiled in"
    assert "url(" not in css, "every asset the stylesheet needs must be vendored (there are none)"


def test_no_font_files_and_no_crown_are_shipped():
    shipped = [path.name for path in STATIC.rglob("*") if path.is_file()]
    assert not [name for name in shipped if name.endswith((".woff", ".woff2", ".ttf", ".otf"))]
    assert not [name for name in shipped if "crest" in name or "crown" in name]


def test_the_javascript_bundle_is_an_es_module_exporting_init_all():
    js = (GOVUK / "govuk-frontend.min.js").read_text()
    assert "initAll" in js and js.rstrip().endswith("};")
    assert "sourceMappingURL" not in js
    init = (STATIC / "sportel" / "init.js").read_text()
    assert 'import { initAll } from "../vendor/govuk/govuk-frontend.min.js";' in init


def test_every_page_asset_comes_from_our_own_static_files(client, db):
    doc = html.fromstring(client.get("/").content)
    sources = doc.xpath(
        "//link[@rel='stylesheet']/@href | //script/@src | //link[@rel='icon']/@href"
    )
    assert sources and all(src.startswith("/static/") for src in sources), sources
    assert not doc.xpath("//script[not(@src)]"), "inline scripts are forbidden by the CSP"
    assert not doc.xpath("//*[@style]"), "style attributes are forbidden by the CSP"
    assert doc.xpath("//script[@type='module'][@src='/static/sportel/init.js']")


def test_production_collectstatic_finds_every_referenced_file(settings, tmp_path):
    # The manifest storage production uses fails on a url() that points at a missing file.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert list(tmp_path.glob("vendor/govuk/govuk-frontend.min.*.css"))
    assert list(tmp_path.glob("sportel/init.*.js"))
