"""Where a fee taken at the counter goes: a module that keeps the money's books (revenue)
registers one receiver; ``mark_fee_paid`` calls it inside its own transaction, so the fee and
its ledger entry commit together or not at all. Without a receiver the fee is only a flag."""

from collections.abc import Callable

_receivers: list[Callable] = []


def register_fee_receiver(receiver: Callable) -> Callable:
    """``receiver(case, *, actor)`` is called once per fee taken; it may refuse (raise)."""
    if receiver not in _receivers:
        _receivers.append(receiver)
    return receiver


def fee_taken(case, *, actor) -> None:
    for receiver in _receivers:
        receiver(case, actor=actor)
