"""CKAN's Action API read by ckanapi's RemoteCKAN, a real CKAN client, against a live server."""

import json

import pytest
import requests
from ckanapi import CKANAPIError, NotAuthorized, NotFound, RemoteCKAN, ValidationError

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ckan(live_server, published):
    return RemoteCKAN(live_server.url, user_agent="sportel-tests/1.0")


def test_list_show_and_search_with_facets(ckan, published, lezhe):
    dataset, resource = published
    assert ckan.action.package_list() == [dataset.name]
    package = ckan.action.package_show(id=dataset.name)
    assert package["title"] == "Raportime sipas kategorisë dhe muajit"
    assert package["owner_org"] == "shkoder"
    assert package["license_id"] == "CC-BY-4.0"
    assert [t["name"] for t in package["tags"]] == ["raportime", "test"]
    assert package["groups"][0]["name"] == "gove"
    [res] = package["resources"]
    assert res["format"] == "CSV" and res["mimetype"] == "text/csv"
    assert res["size"] > 0 and len(res["hash"]) == 64 and res["datastore_active"] is True
    assert requests.get(res["url"], timeout=10).content.startswith(b"month,category,reports")
    assert ckan.action.resource_show(id=str(resource.pk))["id"] == str(resource.pk)

    found = ckan.action.package_search(
        q="raportime",
        fq="organization:shkoder res_format:CSV",
        **{"facet.field": ["organization", "tags", "res_format", "groups", "license_id"]},
    )
    assert found["count"] == 1
    assert found["results"][0]["name"] == dataset.name
    assert found["facets"]["organization"] == {"shkoder": 1}
    assert found["facets"]["res_format"] == {"CSV": 1}
    items = found["search_facets"]["organization"]["items"]
    assert items == [{"name": "shkoder", "display_name": "Shkodër", "count": 1}]
    assert ckan.action.package_search(fq="organization:lezhe")["count"] == 0
    assert ckan.action.package_search(fq="-tags:test")["count"] == 0
    assert ckan.action.package_search(q="nothing-like-this")["count"] == 0

    assert "shkoder" in ckan.action.organization_list()
    org = ckan.action.organization_show(id="shkoder", include_datasets=True)
    assert org["package_count"] == 1 and org["packages"][0]["name"] == dataset.name
    assert "gove" in ckan.action.group_list()
    assert ckan.action.group_show(id="gove")["package_count"] == 1
    assert ckan.action.tag_list() == ["raportime", "test"]
    assert {lic["id"] for lic in ckan.action.license_list()} >= {"CC-BY-4.0", "CC0-1.0", "ODbL-1.0"}
    assert ckan.action.status_show()["ckan_version"].startswith("2.")


def test_datastore_search_with_filters(ckan, published):
    _dataset, resource = published
    result = ckan.action.datastore_search(
        resource_id=str(resource.pk),
        filters={"category": "ndricim"},
        sort="month desc",
        fields=["month", "reports"],
    )
    assert result["total"] == 3
    assert [r["month"] for r in result["records"]] == ["2026-03", "2026-02", "2026-01"]
    assert result["records"][0] == {"month": "2026-03", "reports": 20}
    assert [f["id"] for f in result["fields"]] == ["month", "reports"]
    assert result["_links"]["start"].endswith(f"resource_id={resource.pk}")

    small = ckan.action.datastore_search(
        resource_id=str(resource.pk), filters={"category": "ujitje"}, sort="month"
    )
    # 3 reports is below the threshold: the count and its median are both withheld; 0 stays 0.
    assert [(r["reports"], r["median_days"]) for r in small["records"]] == [
        (None, None),
        (0, None),
        (5, 1.5),
    ]

    lists = ckan.action.datastore_search(
        resource_id=str(resource.pk),
        q="ujitje",
        records_format="lists",
        limit=1,
        offset=1,
        fields="month,category",
    )
    assert lists["records"] == [["2026-02", "ujitje"]] and lists["total"] == 3
    as_csv = ckan.action.datastore_search(
        resource_id=str(resource.pk),
        records_format="csv",
        fields=["category"],
        limit=2,
        include_total=False,
    )
    assert as_csv["records"] == "ndricim\nujitje\n" or as_csv["records"] == "ndricim\r\nujitje\r\n"
    assert "total" not in as_csv


def test_errors_in_ckans_format(ckan, live_server, published):
    with pytest.raises(NotFound):
        ckan.action.package_show(id="no-such-dataset")
    with pytest.raises(NotFound):
        ckan.action.datastore_search(resource_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValidationError) as bad_limit:
        ckan.action.datastore_search(resource_id=str(published[1].pk), limit="many")
    assert bad_limit.value.error_dict["limit"] == ["Invalid integer"]
    with pytest.raises(ValidationError) as bad_filter:
        ckan.action.datastore_search(resource_id=str(published[1].pk), filters={"nope": 1})
    assert "nope" in bad_filter.value.error_dict["filters"][0]
    with pytest.raises(ValidationError) as bad_fq:
        ckan.action.package_search(fq="organization:(shkoder OR")
    assert "Search Query is invalid" in bad_fq.value.error_dict["query"][0]
    with pytest.raises(ValidationError):
        ckan.action.package_search(fq="secret_field:x")
    with pytest.raises(ValidationError):
        ckan.action.package_search(sort="password asc")
    with pytest.raises(ValidationError):
        ckan.action.package_show()  # id is required

    answer = requests.get(f"{live_server.url}/api/3/action/drop_everything", timeout=10)
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] is False and body["help"].startswith(live_server.url)
    assert body["error"] == {
        "__type": "Bad request",
        "message": "Bad request - Action name not known: drop_everything",
    }
    with pytest.raises(CKANAPIError):
        ckan.call_action("drop_everything")

    broken = requests.post(
        f"{live_server.url}/api/action/package_list",
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert broken.status_code == 400 and "JSON Error" in broken.json()["error"]["message"]
    missing = requests.get(f"{live_server.url}/api/3/action/package_show?id=nope", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["__type"] == "Not Found Error"


def test_search_sql_is_off_by_default(ckan, published):
    with pytest.raises(NotAuthorized):
        ckan.action.datastore_search_sql(sql=f'SELECT * FROM "{published[1].pk}"')


def test_search_sql_when_on_reads_one_select_only(ckan, published, settings):
    settings.SPORTEL_OPEN_DATA_SQL = True
    table = f'"{published[1].pk}"'
    result = ckan.action.datastore_search_sql(
        sql=f"SELECT category, SUM(reports) AS total FROM {table} GROUP BY category "
        "ORDER BY category"
    )
    assert result["records"] == [
        {"category": "ndricim", "total": 41},
        {"category": "ujitje", "total": 5},
    ]
    for sql in (
        f"DELETE FROM {table}",
        f"SELECT * FROM {table}; DROP TABLE {table}",
        f"UPDATE {table} SET reports = 1",
        "SELECT * FROM accounts_user",
        "SELECT name FROM sqlite_master",
        "SELECT * FROM pg_catalog.pg_user",
        f"SELECT * FROM {table} WHERE 1 = (SELECT 1 FROM core_person)",
        f"SELECT pg_sleep(10) FROM {table}",
        f"WITH x AS (DELETE FROM {table} RETURNING *) SELECT * FROM x",
    ):
        with pytest.raises(ValidationError) as refused:
            ckan.action.datastore_search_sql(sql=sql)
        assert refused.value.error_dict["query"], sql
    assert ckan.action.datastore_search(resource_id=str(published[1].pk))["total"] == 6

    settings.SPORTEL_OPEN_DATA_SQL_TIMEOUT_MS = 1
    slow = "SELECT count(*) FROM " + ", ".join(f"{table} t{n}" for n in range(8))
    with pytest.raises(ValidationError) as too_long:
        ckan.action.datastore_search_sql(sql=slow)
    assert too_long.value.error_dict["query"] == ["Query took too long"]


def test_get_with_json_encoded_parameters(live_server, published):
    _dataset, resource = published
    answer = requests.get(
        f"{live_server.url}/api/3/action/datastore_search",
        params={
            "resource_id": str(resource.pk),
            "filters": json.dumps({"month": "2026-01"}),
            "limit": "5",
        },
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["result"]["total"] == 2
    search = requests.get(
        f"{live_server.url}/api/3/action/package_search",
        params={"facet.field": '["tags"]', "rows": "0"},
        timeout=10,
    ).json()["result"]
    assert search["count"] == 1 and search["results"] == []
    assert search["facets"]["tags"] == {"raportime": 1, "test": 1}
