"""The machinery every workflow table shares: look up a transition, list what a state allows, and
refuse anything else with a message that names the action and the state.

Each module keeps its own table (states, labels, transitions and the reason for each) in its
``workflow.py`` and its own refusal (a subclass of :class:`IllegalTransition` whose message names
what it refuses: a case, a report, a ticket); this module holds only what is the same for all.
"""

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError


class IllegalTransition(ValidationError):
    """The action is not allowed from the current state; nothing was changed.

    A module subclasses it with ``message`` (``%(action)s`` and ``%(state)s`` in it), and the
    labels that fill them.
    """

    message = ""
    state_labels: Mapping[str, str] = {}
    action_labels: Mapping[str, str] = {}

    def __init__(self, state: str, action: str):
        self.state = state
        self.action = action
        super().__init__(
            self.message,
            code="illegal_transition",
            params={
                "action": self.action_labels.get(action, action),
                "state": self.state_labels.get(state, state),
            },
        )


class Workflow:
    """One table of ``(from_state, action) → to_state`` and the questions asked of it."""

    def __init__(
        self,
        transitions: Mapping[tuple[str, str], str],
        *,
        refusal: type[IllegalTransition],
        system_actions: Iterable[str] = (),
    ):
        self.transitions = transitions
        self.refusal = refusal
        self.system_actions = frozenset(system_actions)

    def state_label(self, state: str):
        return self.refusal.state_labels.get(state, state)

    def next_state(self, state: str, action: str) -> str:
        """The state ``action`` leads to from ``state``; the module's refusal if none."""
        try:
            return self.transitions[(state, action)]
        except KeyError:
            raise self.refusal(state, action) from None

    def allowed_actions(self, state: str, *, include_system: bool = False) -> list[str]:
        """The actions the table allows from ``state``, in the table's order; actions only the
        system takes are left out unless asked for."""
        return [
            action
            for (source, action) in self.transitions
            if source == state and (include_system or action not in self.system_actions)
        ]
