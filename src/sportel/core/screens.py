"""Panels for the one-stop shop's information screens, offered by the modules that own them.

The screens (the floor module) rotate panels between ticket calls: the priority list of problem
reports, consultations and budget votes open now, notices. Each module registers a provider from
its ``AppConfig.ready()``; the screens read this registry and never another module's models::

    from sportel.core.screens import Panel, register_panel

    def priority_list(municipality) -> list[Panel]:
        return [Panel(key="reports-priorities", title=_("Where reports ask for work first"),
                      rows=[(cluster.title, _("%d residents") % n) for ...], url="/shkoder/...")]

    register_panel("reports", priority_list)

A provider returns public information only (a screen needs no login), in the active language,
and an empty list when it has nothing to show now.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class Panel:
    key: str  # stable, e.g. "reports-priorities"
    title: Promise | str
    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, value), at most ~8
    subtitle: Promise | str = ""
    url: str = ""  # where the same information is on the web, for a QR code or a link


Provider = Callable[..., list[Panel]]
_PROVIDERS: dict[str, Provider] = {}


def register_panel(module: str, provider: Provider) -> None:
    _PROVIDERS[module] = provider


def panels(municipality) -> list[Panel]:
    """Every panel the modules offer for this municipality now; a failing provider is left out
    (a screen on the wall keeps showing the queue whatever one module does)."""
    import logging

    found: list[Panel] = []
    for module, provider in _PROVIDERS.items():
        try:
            found.extend(provider(municipality))
        except Exception:  # one module's fault must not blank the screen
            logging.getLogger("sportel.screens").exception("screen panel %s failed", module)
    return found
