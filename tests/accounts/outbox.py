"""Read what Sportel sent: the notifications outbox, as a citizen would read their inbox."""

import re

from sportel.core.models import Notification


def last_message(recipient: str, template: str) -> Notification:
    message = (
        Notification.objects.filter(recipient=recipient, template=template).order_by("-id").first()
    )
    assert message is not None, f"nothing {template!r} was sent to {recipient}"
    return message


def confirmation_link(email: str) -> str:
    body = last_message(email, "accounts_confirm_email").body
    match = re.search(r"https?://\S+/confirm/email/\S+/", body)
    assert match, body
    return match.group(0)


def confirmation_code(phone: str) -> str:
    body = last_message(phone, "accounts_confirm_phone").body
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)
