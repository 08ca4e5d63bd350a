"""Deployment checks of Sportel's own settings, run by ``sportel check --deploy``."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def source_code_is_offered(app_configs, **kwargs):
    """The AGPL asks a deployment to offer its source to the site's users: warn until the footer
    can link to it."""
    if getattr(settings, "SPORTEL_SOURCE_URL", ""):
        return []
    return [
        Warning(
            "SPORTEL_SOURCE_URL is not set, so the footer offers no link to this deployment's "
            "source code.",
            hint="Set SPORTEL_SOURCE_URL to where this deployment's code, changes included, is "
            "published (the AGPL asks you to offer it to the site's users).",
            id="sportel.W001",
        )
    ]
