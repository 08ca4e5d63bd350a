"""What can be wrong with a file or a URL, by code: raised as a ValidationError whose message is
rendered when it is read, so a form shows it in the reader's language and a scheduled refresh
stores the code and its parameters (``RefreshRun.problems``), never text in the worker's
language."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "binary": _("This is not a CSV file: it holds binary data."),
    "encoding": _(
        "We could not tell the file's text encoding. Save it as CSV UTF-8 and try again."
    ),
    "too_big": _("The file is larger than %(mb)s MB."),
    "empty": _("The file is empty."),
    "not_xlsx": _("This is not an Excel (.xlsx) file."),
    "wrong_type": _("Upload a CSV or an Excel (.xlsx) file."),
    "unreadable": _("We could not read a table from this file."),
    "invalid": _("The file does not validate: %(count)s problem(s), first at row %(row)s: %(msg)s"),
    "no_host": _("The URL has no host."),
    "unreachable": _("The URL could not be reached."),
    "internal": _("The URL points to an internal address, which a refresh may not fetch."),
    "http_status": _("The URL answered with HTTP status %(code)s."),
    "timeout": _("The URL did not answer in time."),
    "no_feed": _("There is no statistics feed with that name."),
}


def problem(code: str, /, **params) -> ValidationError:
    """The ValidationError for ``code`` (a key of MESSAGES), its message rendered lazily."""
    return ValidationError(MESSAGES[code], code=code, params=params or None)


def codes_of(error: ValidationError) -> list[dict]:
    """What a ValidationError holds, to be stored: ``{"code", "params"}`` for a known code, or
    ``{"text"}`` (rendered now) for anything else."""
    items = []
    for item in error.error_list if hasattr(error, "error_list") else [error]:
        if item.code in MESSAGES:
            items.append({"code": item.code, "params": dict(item.params or {})})
        else:
            items.extend({"text": str(text)} for text in item.messages)
    return items


def render(items: list[dict]) -> str:
    """Stored problems in the active language."""
    parts = []
    for item in items:
        code = item.get("code")
        if code in MESSAGES:
            params = item.get("params") or {}
            parts.append(str(MESSAGES[code]) % params if params else str(MESSAGES[code]))
        elif item.get("text"):
            parts.append(str(item["text"]))
    return " ".join(parts)
