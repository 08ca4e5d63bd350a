"""Kept for older callers: the demo registry is :mod:`sportel.core.demo` (modules register with
``@register_demo``) and the demo accounts are :mod:`sportel.accounts.demo`."""

from sportel.accounts.demo import DEMO_CITIZEN_NID, DEMO_PASSWORD, DEMO_USERS, seed_accounts
from sportel.core.demo import DEMO_MUNICIPALITIES, register_demo, seed_all, seed_municipalities

seeder = register_demo


def finisher(func):
    return register_demo(func, finish=True)


def seed_core() -> None:
    """Municipalities and demo accounts only (what a benchmark needs)."""
    seed_municipalities()
    seed_accounts()


__all__ = [
    "DEMO_CITIZEN_NID",
    "DEMO_MUNICIPALITIES",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "finisher",
    "seed_all",
    "seed_core",
    "seeder",
]
