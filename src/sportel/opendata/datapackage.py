"""A dataset as a Frictionless Data Package (https://datapackage.org): one descriptor whose
resources point at the current files, with their Table Schema, size and SHA-256."""

import re

from . import selectors
from .vocabularies import LICENSES

SCHEMA_KEYS = {"name", "type", "title", "description", "format", "constraints"}


def resource_name(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-") or "resource"


def descriptor(dataset, absolute) -> dict:
    title, url = LICENSES.get(dataset.license_id, (dataset.license_id, ""))
    resources, used = [], set()
    for resource in dataset.resources.all():
        version = resource.current
        if version is None:
            continue
        name = resource_name(resource.name.rsplit(".", 1)[0])
        while name in used:
            name += "-x"
        used.add(name)
        item = {
            "name": name,
            "title": resource.name,
            "path": absolute(selectors.download_path(resource)),
            "format": version.format.lower(),
            "mediatype": version.mediatype,
            "bytes": version.size,
            "hash": f"sha256:{version.sha256}",
        }
        if version.schema.get("fields") and version.format in {"CSV", "XLSX"}:
            item["profile"] = "tabular-data-resource"
            if version.format == "CSV":
                item["encoding"] = "utf-8"
            item["schema"] = {
                "fields": [
                    {k: v for k, v in f.items() if k in SCHEMA_KEYS}
                    for f in version.schema["fields"]
                ],
                **(
                    {"primaryKey": version.schema["primaryKey"]}
                    if version.schema.get("primaryKey")
                    else {}
                ),
                "missingValues": version.schema.get("missingValues", [""]),
            }
        resources.append(item)
    return {
        "profile": "data-package",
        "name": dataset.name,
        "id": str(dataset.pk),
        "title": dataset.title,
        "description": dataset.notes,
        "homepage": absolute(f"/dataset/{dataset.name}/"),
        "created": dataset.created_at.isoformat(),
        "keywords": [t.name for t in dataset.tags.all()],
        "licenses": [{"name": dataset.license_id, "path": url, "title": str(title)}],
        "contributors": [{"title": dataset.municipality.name, "role": "publisher"}],
        "resources": resources,
    }
