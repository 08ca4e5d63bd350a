"""Who may do what in a participatory budget, phase by phase: one table (decision 0011).

Roles are relative to a budget: ``anonymous`` (not signed in, or not a verified resident of the
budget's area: reads only), ``resident`` (a verified resident of the budget's area), ``author`` (a
resident who proposed one of its projects), ``moderator`` and ``staff`` (roles in accounts/roles.py).
A phase ``draft`` is "before the budget opens"; the phases follow one another by their dates.
"""

from django.utils.translation import gettext_lazy as _

from .models import Phase

ANONYMOUS, RESIDENT, AUTHOR, MODERATOR, STAFF = (
    "anonymous",
    "resident",
    "author",
    "moderator",
    "staff",
)
ROLES = (ANONYMOUS, RESIDENT, AUTHOR, MODERATOR, STAFF)
PHASES = tuple(
    Phase.values
)  # draft, information, proposals, review, voting, results, implementation

EVERYONE = frozenset(ROLES)
RESIDENTS = frozenset({RESIDENT, AUTHOR})
D, I, P, R, V, S, M = PHASES  # noqa: E741 -- the phases' initials, to read the table
OPEN = frozenset({I, P, R, V, S, M})

# action → (phases in which it is possible, roles that may do it), each line with its reason.
RULES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # Before it opens, only the municipality sees a budget being prepared; then everyone reads.
    "view": (frozenset(PHASES), frozenset({MODERATOR, STAFF})),
    "view_open": (OPEN, EVERYONE),
    # Staff prepare the budget (amount, rules, dates) until proposals are in.
    "configure": (frozenset({D, I, P}), frozenset({STAFF})),
    # Residents propose projects only in the proposals phase.
    "propose": (frozenset({P}), RESIDENTS),
    # An author edits their own project proposal until the review starts.
    "edit_proposal": (frozenset({P}), frozenset({AUTHOR})),
    # Comments and supports while proposals are collected and reviewed.
    "comment": (frozenset({P, R}), RESIDENTS),
    # Moderators act on reported content while people write.
    "moderate": (frozenset({P, R, V}), frozenset({MODERATOR})),
    # Staff check feasibility and cost projects in the review phase only: the ballot is fixed after.
    "review": (frozenset({R}), frozenset({STAFF})),
    # Verified residents vote (and change their ballot) while the vote is open.
    "vote": (frozenset({V}), RESIDENTS),
    # A clerk records a resident's ballot at the counter or kiosk while the vote is open.
    "vote_for": (frozenset({V}), frozenset({STAFF})),
    # The count and the published ballots exist once the vote closed.
    "see_results": (frozenset({S, M}), EVERYONE),
    # Staff publish the result once the vote closed.
    "publish_results": (frozenset({S, M}), frozenset({STAFF})),
    # Staff report progress on funded projects during implementation.
    "track": (frozenset({M}), frozenset({STAFF})),
}

ACTION_LABELS = {
    "view": _("see the budget"),
    "view_open": _("see the budget"),
    "configure": _("change the budget's settings"),
    "propose": _("propose a project"),
    "edit_proposal": _("change your proposal"),
    "comment": _("comment"),
    "moderate": _("moderate"),
    "review": _("review and cost projects"),
    "vote": _("vote"),
    "vote_for": _("record a resident's ballot"),
    "see_results": _("see the results"),
    "publish_results": _("publish the results"),
    "track": _("report progress"),
}


def may(role: str, action: str, phase: str) -> bool:
    phases, roles = RULES[action]
    if action == "view":
        return may(role, "view_open", phase) or (phase in phases and role in roles)
    return phase in phases and role in roles
