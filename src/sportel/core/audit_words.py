"""Audit action codes in plain words, for the person an entry is about ("who accessed my data").

The codes (``case.close``, ``document.issued``) are the log's own language and never shown to a
resident. Each app registers the words for the codes it writes, from its ``AppConfig.ready``, in
its own message catalogue; a code nobody registered still reads as words, never as a code.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_WORDS: dict[str, Promise | str] = {
    "person.read": _("Looked up your personal data"),
    "person.create": _("Registered you in the municipality's records"),
    "person.update": _("Updated your personal details"),
}


def register_action_words(words: dict[str, Promise | str]) -> None:
    """Add (or replace) the words for some action codes; called once per app at start-up."""
    _WORDS.update(words)


def action_words(action: str) -> str:
    """What the staff member (or the system) did, in the reader's language."""
    words = _WORDS.get(action)
    if words is not None:
        return str(words)
    if action.endswith(".read"):
        return str(_("Looked at your data"))
    return str(_("Recorded a change to your data"))
