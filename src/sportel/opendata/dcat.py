"""DCAT-AP: the catalogue and each dataset in Turtle, RDF/XML and JSON-LD (rdflib), carrying the
mandatory properties (catalogue: title, description, publisher, dataset; dataset: title,
description; distribution: access URL; agent: name) and the recommended ones we hold (theme,
keyword, licence, format, media type, byte size, checksum, temporal and spatial coverage,
frequency, contact point). The catalogue is paged the way ckanext-dcat pages it (Hydra)."""

from urllib.parse import urlencode

from django.urls import reverse
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from .vocabularies import FILE_TYPE_BASE, FORMATS, FREQUENCY_BASE, LICENSES, THEME_BASE

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
FORMATS_OUT = {
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
}
PAGE_SIZE = 100


def _graph() -> Graph:
    graph = Graph()
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("hydra", HYDRA),
        ("vcard", VCARD),
        ("spdx", SPDX),
        ("adms", ADMS),
    ):
        graph.bind(prefix, ns)
    return graph


def _publisher(graph: Graph, municipality, absolute) -> URIRef:
    node = URIRef(absolute(f"/api/3/action/organization_show?id={municipality.slug}"))
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, FOAF.name, Literal(municipality.name)))
    return node


def add_dataset(graph: Graph, dataset, absolute) -> URIRef:
    page = absolute(reverse("opendata:dataset", kwargs={"name": dataset.name}))
    node = URIRef(page)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.pk))))
    graph.add((node, DCTERMS.title, Literal(dataset.title, lang="sq")))
    if dataset.title_en:
        graph.add((node, DCTERMS.title, Literal(dataset.title_en, lang="en")))
    graph.add((node, DCTERMS.description, Literal(dataset.notes or dataset.title, lang="sq")))
    if dataset.notes_en:
        graph.add((node, DCTERMS.description, Literal(dataset.notes_en, lang="en")))
    graph.add((node, DCAT.landingPage, URIRef(page)))
    graph.add((node, DCTERMS.publisher, _publisher(graph, dataset.municipality, absolute)))
    graph.add(
        (node, DCTERMS.issued, Literal(dataset.created_at.isoformat(), datatype=XSD.dateTime))
    )
    graph.add(
        (node, DCTERMS.modified, Literal(dataset.modified_at.isoformat(), datatype=XSD.dateTime))
    )
    graph.add((node, DCTERMS.accrualPeriodicity, URIRef(FREQUENCY_BASE + dataset.frequency)))
    for theme in dataset.themes.all():
        graph.add((node, DCAT.theme, URIRef(THEME_BASE + theme.code)))
    for tag in dataset.tags.all():
        graph.add((node, DCAT.keyword, Literal(tag.name)))
    contact = BNode()
    graph.add((node, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, Literal(dataset.municipality.name)))
    if dataset.municipality.email:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{dataset.municipality.email}")))
    spatial = BNode()
    graph.add((node, DCTERMS.spatial, spatial))
    graph.add((spatial, RDF.type, DCTERMS.Location))
    units = [u.name for u in dataset.spatial_units.all()] or [dataset.municipality.name]
    for unit in units:
        graph.add((spatial, DCTERMS.title, Literal(unit)))
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add((period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date)))
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date)))
    licence = URIRef(LICENSES.get(dataset.license_id, ("", dataset.license_id))[1])
    from .selectors import download_path

    for resource in dataset.resources.all():
        version = resource.current
        if version is None:
            continue
        download = URIRef(absolute(download_path(resource)))
        dist = URIRef(f"{page}#resource-{resource.pk}")
        graph.add((node, DCAT.distribution, dist))
        graph.add((dist, RDF.type, DCAT.Distribution))
        graph.add((dist, DCTERMS.title, Literal(resource.name)))
        graph.add((dist, DCAT.accessURL, download))
        graph.add((dist, DCAT.downloadURL, download))
        graph.add((dist, DCTERMS.license, licence))
        graph.add((dist, DCTERMS.format, URIRef(FILE_TYPE_BASE + FORMATS[version.format][1])))
        graph.add(
            (
                dist,
                DCAT.mediaType,
                URIRef(f"http://www.iana.org/assignments/media-types/{version.mediatype}"),
            )
        )
        graph.add((dist, DCAT.byteSize, Literal(version.size, datatype=XSD.nonNegativeInteger)))
        graph.add(
            (dist, DCTERMS.modified, Literal(version.created_at.isoformat(), datatype=XSD.dateTime))
        )
        graph.add((dist, ADMS.versionNotes, Literal(f"v{version.number}")))
        checksum = BNode()
        graph.add((dist, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add((checksum, SPDX.checksumValue, Literal(version.sha256, datatype=XSD.hexBinary)))
    return node


def dataset_graph(dataset, absolute) -> Graph:
    graph = _graph()
    add_dataset(graph, dataset, absolute)
    return graph


def catalog_graph(datasets, total: int, page: int, absolute, path: str, query: dict) -> Graph:
    graph = _graph()
    catalog = URIRef(absolute("/"))
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal("Sportel: të dhëna të hapura", lang="sq")))
    graph.add((catalog, DCTERMS.title, Literal("Sportel: open data", lang="en")))
    graph.add(
        (
            catalog,
            DCTERMS.description,
            Literal("Të dhënat e hapura të bashkive shqiptare.", lang="sq"),
        )
    )
    graph.add(
        (catalog, DCTERMS.description, Literal("Open data of Albanian municipalities.", lang="en"))
    )
    graph.add((catalog, FOAF.homepage, URIRef(absolute(reverse("opendata:search")))))
    publisher = URIRef(absolute("/#publisher"))
    graph.add((publisher, RDF.type, FOAF.Organization))
    graph.add((publisher, FOAF.name, Literal("Sportel")))
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add(
        (
            catalog,
            DCTERMS.language,
            URIRef("http://publications.europa.eu/resource/authority/language/SQI"),
        )
    )
    for dataset in datasets:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, dataset, absolute)))
    last = max(1, -(-total // PAGE_SIZE))

    def page_url(number):
        return URIRef(absolute(f"{path}?{urlencode({**query, 'page': number})}"))

    view = page_url(page)
    graph.add((view, RDF.type, HYDRA.PagedCollection))
    graph.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    graph.add((view, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
    graph.add((view, HYDRA.firstPage, page_url(1)))
    graph.add((view, HYDRA.lastPage, page_url(last)))
    if page < last:
        graph.add((view, HYDRA.nextPage, page_url(page + 1)))
    if page > 1:
        graph.add((view, HYDRA.previousPage, page_url(page - 1)))
    return graph
