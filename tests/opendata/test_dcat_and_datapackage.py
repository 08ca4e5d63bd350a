"""DCAT-AP parsed by rdflib in every serialisation, with the mandatory properties; every published
data package passes ``frictionless validate``."""

from datetime import timedelta

import pytest
import requests
from frictionless import Package, system
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from sportel.opendata.dcat import HYDRA

FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}


def _graph(client, url, fmt) -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return Graph().parse(data=response.content, format=fmt)


def _mandatory(graph: Graph):
    [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCAT.dataset):
        assert graph.value(catalog, prop) is not None, prop
    assert graph.value(graph.value(catalog, DCTERMS.publisher), FOAF.name) is not None
    datasets = list(graph.objects(catalog, DCAT.dataset))
    for dataset in datasets:
        _dataset_mandatory(graph, dataset)
    return datasets


def _dataset_mandatory(graph, dataset):
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert graph.value(dataset, DCTERMS.title) is not None
    assert graph.value(dataset, DCTERMS.description) is not None
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) is not None
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert distributions
    for dist in distributions:
        assert graph.value(dist, DCAT.accessURL) is not None
        assert graph.value(dist, DCTERMS.license) is not None
        assert graph.value(dist, DCAT.byteSize) is not None


@pytest.mark.django_db
@pytest.mark.parametrize("extension", FORMATS)
def test_catalogue_in_every_serialisation(client, published, extension):
    dataset, _resource = published
    graph = _graph(client, f"/catalog.{extension}", FORMATS[extension])
    [node] = _mandatory(graph)
    assert str(node).endswith(f"/dataset/{dataset.name}/")
    themes = set(graph.objects(node, DCAT.theme))
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE") in themes
    assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    )
    temporal = graph.value(node, DCTERMS.temporal)
    assert str(graph.value(temporal, DCAT.startDate)) == "2026-01-01"
    assert str(graph.value(temporal, DCAT.endDate)) == "2026-03-31"

    one = _graph(client, f"/dataset/{dataset.name}.{extension}", FORMATS[extension])
    _dataset_mandatory(one, URIRef(str(node)))


@pytest.mark.django_db
def test_catalogue_paged_and_modified_since(client, published, shkoder):
    from sportel.opendata.models import Dataset

    dataset, _resource = published
    for n in range(101):
        Dataset.objects.create(
            municipality=shkoder,
            name=f"extra-{n}",
            title=f"Extra {n}",
            state="active",
            modified_at=dataset.modified_at - timedelta(days=9),
        )
    first = _graph(client, "/catalog.ttl", "turtle")
    assert len(list(first.subjects(RDF.type, DCAT.Dataset))) == 100
    [view] = first.subjects(RDF.type, HYDRA.PagedCollection)
    assert int(first.value(view, HYDRA.totalItems)) == 102
    assert str(first.value(view, HYDRA.nextPage)).endswith("page=2")
    second = _graph(client, "/catalog.ttl?page=2", "turtle")
    assert len(list(second.subjects(RDF.type, DCAT.Dataset))) == 2
    since = (dataset.modified_at - timedelta(days=1)).date().isoformat()
    recent = _graph(client, f"/catalog.ttl?modified_since={since}", "turtle")
    assert len(list(recent.subjects(RDF.type, DCAT.Dataset))) == 1
    assert client.get("/catalog.ttl?modified_since=yesterday").status_code == 400
    assert client.get("/dataset/no-such-thing.ttl").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_every_published_data_package_validates(live_server, published, shkoder):
    from sportel.opendata import services, staging
    from tests.opendata.factories import publisher, staged

    upload = staged(shkoder)
    services.publish_upload(
        upload, publisher(shkoder), dataset=upload.dataset, rows=staging.rows_of(upload)
    )
    names = requests.get(f"{live_server.url}/api/3/action/package_list", timeout=10).json()
    assert len(names["result"]) == 2
    for name in names["result"]:
        url = f"{live_server.url}/dataset/{name}/datapackage.json"
        descriptor = requests.get(url, timeout=10).json()
        with system.use_context(trusted=True):
            report = Package(descriptor).validate()
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
        assert descriptor["resources"][0]["hash"].startswith("sha256:")
        assert descriptor["licenses"][0]["name"] in {"CC-BY-4.0", "CC0-1.0"}
