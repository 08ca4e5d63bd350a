from django.utils.translation import gettext_lazy as _


def register() -> None:
    from sportel.accounts.staff import register_staff_link
    from sportel.web.links import register_municipal_link

    register_municipal_link(
        "opendata:municipality",
        _("Open data"),
        _("The municipality's statistics as open, machine-readable datasets."),
        order=70,
    )
    register_staff_link(
        _("Open data"),
        "opendata-staff:home",
        "opendata.publish",
        _("Upload, validate and publish datasets; replace a file with a new version."),
    )
