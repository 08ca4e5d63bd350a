"""The vocabularies the catalogue uses: licences, DCAT-AP data themes, EU frequencies, formats.

Codes are the EU Publications Office's (themes, frequencies, file types) and SPDX's (licences),
so DCAT-AP and CKAN clients read them unchanged.
"""

from django.utils.translation import gettext_lazy as _

# SPDX id → (title, URL, open-definition conformant)
LICENSES = {
    "CC-BY-4.0": (
        _("Creative Commons Attribution 4.0"),
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC0-1.0": (
        _("Creative Commons CC0 1.0 (public domain)"),
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    "ODbL-1.0": (
        _("Open Data Commons Open Database License 1.0"),
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
    "CC-BY-SA-4.0": (
        _("Creative Commons Attribution Share-Alike 4.0"),
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    "ODC-By-1.0": (
        _("Open Data Commons Attribution License 1.0"),
        "https://opendatacommons.org/licenses/by/1-0/",
    ),
}
DEFAULT_LICENSE = "CC-BY-4.0"

# DCAT-AP data themes (http://publications.europa.eu/resource/authority/data-theme)
THEMES = {
    "AGRI": _("Agriculture, fisheries, forestry and food"),
    "ECON": _("Economy and finance"),
    "EDUC": _("Education, culture and sport"),
    "ENER": _("Energy"),
    "ENVI": _("Environment"),
    "GOVE": _("Government and public sector"),
    "HEAL": _("Health"),
    "INTR": _("International issues"),
    "JUST": _("Justice, legal system and public safety"),
    "REGI": _("Regions and cities"),
    "SOCI": _("Population and society"),
    "TECH": _("Science and technology"),
    "TRAN": _("Transport"),
}
THEME_BASE = "http://publications.europa.eu/resource/authority/data-theme/"

# EU frequency vocabulary (http://publications.europa.eu/resource/authority/frequency)
FREQUENCIES = {
    "DAILY": _("Daily"),
    "WEEKLY": _("Weekly"),
    "MONTHLY": _("Monthly"),
    "QUARTERLY": _("Quarterly"),
    "ANNUAL": _("Annual"),
    "IRREG": _("Irregular"),
    "NEVER": _("Never"),
}
FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"

# format → (media type, EU file-type code)
FORMATS = {
    "CSV": ("text/csv", "CSV"),
    "JSON": ("application/json", "JSON"),
    "XLSX": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "GeoJSON": ("application/geo+json", "GEOJSON"),
}
FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"
TABULAR_FORMATS = {"CSV", "XLSX"}
