"""The demo-data registry: each module registers what ``sportel demo`` seeds for it.

A module registers its functions where it defines them and imports that module in its
``AppConfig.ready()``::

    from sportel.core.demo import register_demo

    @register_demo
    def seed_my_module() -> None: ...            # idempotent: `sportel demo` runs it every time

    @register_demo(finish=True)
    def publish_something() -> None: ...         # after every module's data exists

    @register_demo_notes
    def logins() -> list[str]: ...               # lines printed after seeding

Seeders run in registration order, which is the order of INSTALLED_APPS (core first: the
municipalities every other module's data belongs to), then the finishers.
"""

from collections.abc import Callable

DEMO_MUNICIPALITIES = {"shkoder", "lezhe"}

Seeder = Callable[[], None]
_seeders: list[Seeder] = []
_finishers: list[Seeder] = []
_notes: list[Callable[[], list[str]]] = []


def register_demo(func: Seeder | None = None, *, finish: bool = False):
    """Register a demo seeder (``finish=True``: run after all the seeders)."""

    def decorate(f: Seeder) -> Seeder:
        registry = _finishers if finish else _seeders
        if f not in registry:
            registry.append(f)
        return f

    return decorate(func) if func is not None else decorate


def register_demo_notes(func: Callable[[], list[str]]) -> Callable[[], list[str]]:
    """Register a function whose lines ``sportel demo`` prints after seeding (e.g. logins)."""
    if func not in _notes:
        _notes.append(func)
    return func


def seed_all() -> None:
    """Seed every module's demo data; safe to run again."""
    for func in [*_seeders, *_finishers]:
        func()


def notes() -> list[str]:
    return [line for func in _notes for line in func()]


@register_demo
def seed_municipalities() -> None:
    from .tenancy import load_municipalities

    load_municipalities(DEMO_MUNICIPALITIES)
