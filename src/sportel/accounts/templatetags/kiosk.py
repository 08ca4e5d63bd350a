"""``{% kiosk_idle_seconds %}``: the kiosk's idle time, for the client-side timer."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def kiosk_idle_seconds() -> int:
    return settings.SPORTEL_KIOSK_IDLE_SECONDS


@register.simple_tag
def kiosk_idle_minutes() -> int:
    return max(1, -(-settings.SPORTEL_KIOSK_IDLE_SECONDS // 60))
