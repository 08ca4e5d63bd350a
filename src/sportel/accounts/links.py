"""Which municipalities a person deals with, for the links on their account page.

Accounts sit below the modules that know (a resident's cases live in services), so each module
registers a function ``user -> municipalities`` here from its ``AppConfig.ready()``.
"""

from collections.abc import Callable, Iterable

from sportel.core.models import Municipality

MunicipalitiesOf = Callable[[object], Iterable[Municipality]]
_PROVIDERS: list[MunicipalitiesOf] = []


def register_account_municipalities(provider: MunicipalitiesOf) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def municipalities_of(user) -> list[Municipality]:
    """Every municipality some module says ``user`` deals with, by name, each once."""
    found: dict[int, Municipality] = {}
    for provider in _PROVIDERS:
        for municipality in provider(user):
            found.setdefault(municipality.pk, municipality)
    return sorted(found.values(), key=lambda m: m.name)
