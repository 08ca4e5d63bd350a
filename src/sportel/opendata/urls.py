"""Open data routes. Standard, machine-readable paths sit outside the language prefix (CKAN's
Action API, DCAT-AP, Data Packages, downloads); the portal's pages inside it (/dataset/ in
Albanian, /en/dataset/ in English); staff pages under /<municipality_slug>/staff/opendata/."""

from django.urls import path, re_path

from . import ckan, files, staff_views, views

machine_urlpatterns = (
    [
        path("api/3/action/<str:name>", ckan.action, name="action"),
        path("api/action/<str:name>", ckan.action, name="action-unversioned"),
        re_path(r"^catalog\.(?P<extension>ttl|rdf|jsonld)$", files.catalog, name="catalog"),
        re_path(
            r"^dataset/(?P<name>[-\w]+)\.(?P<extension>ttl|rdf|jsonld)$",
            files.dataset_rdf,
            name="dataset-rdf",
        ),
        path("dataset/<slug:name>/datapackage.json", files.dataset_datapackage, name="datapackage"),
        path(
            "dataset/<slug:name>/resource/<uuid:resource_id>/v<int:number>/<str:filename>",
            files.download,
            name="download",
        ),
    ],
    "opendata-files",
)

app_name = "opendata"
urlpatterns = [
    path("dataset/", views.search, name="search"),
    path("dataset/<slug:name>/", views.dataset, name="dataset"),
    path("<slug:municipality_slug>/opendata/", views.municipality, name="municipality"),
]

staff_urlpatterns = (
    [
        path("", staff_views.home, name="home"),
        path("new", staff_views.new_dataset, name="new"),
        path("upload/<int:pk>/", staff_views.upload, name="upload"),
        path("upload/<int:pk>/publish", staff_views.publish, name="publish"),
        path("<slug:name>/", staff_views.dataset, name="dataset"),
        path("<slug:name>/upload", staff_views.upload_file, name="upload-file"),
        path("<slug:name>/refresh", staff_views.schedule_refresh, name="refresh"),
    ],
    "opendata-staff",
)
