"""Phase rules per role, every cell (as meinBerlin tests its rules): the expected grid is written
out here a second time, by hand, so a change to rules.py that nobody meant fails a cell."""

import pytest

from sportel.participation import rules
from sportel.participation.models import Phase

# One row per action; per phase the roles allowed (a anonymous, r resident, u author,
# m moderator, s staff); phases: draft, information, proposals, review, voting, results,
# implementation.
GRID = {
    #                 draft   info     prop     review   voting   results  implem.
    "view":          ("ms",  "arums", "arums", "arums", "arums", "arums", "arums"),
    "configure":     ("s",   "s",     "s",     "",      "",      "",      ""),
    "propose":       ("",    "",      "ru",    "",      "",      "",      ""),
    "edit_proposal": ("",    "",      "u",     "",      "",      "",      ""),
    "comment":       ("",    "",      "ru",    "ru",    "",      "",      ""),
    "moderate":      ("",    "",      "m",     "m",     "m",     "",      ""),
    "review":        ("",    "",      "",      "s",     "",      "",      ""),
    "vote":          ("",    "",      "",      "",      "ru",    "",      ""),
    "vote_for":      ("",    "",      "",      "",      "s",     "",      ""),
    "see_results":   ("",    "",      "",      "",      "",      "arums", "arums"),
    "publish_results": ("",  "",      "",      "",      "",      "s",     "s"),
    "track":         ("",    "",      "",      "",      "",      "",      "s"),
}  # fmt: skip
LETTER = {"a": rules.ANONYMOUS, "r": rules.RESIDENT, "u": rules.AUTHOR, "m": rules.MODERATOR,
          "s": rules.STAFF}  # fmt: skip
PHASES = list(Phase.values)

CELLS = [
    (action, phase, role, LETTER_OF in GRID[action][PHASES.index(phase)])
    for action in GRID
    for phase in PHASES
    for role, LETTER_OF in ((r, k) for k, r in LETTER.items())
]


@pytest.mark.parametrize(("action", "phase", "role", "allowed"), CELLS)
def test_every_cell(action, phase, role, allowed):
    assert rules.may(role, action, phase) is allowed


def test_the_grid_covers_every_action_and_phase():
    assert set(GRID) == set(rules.RULES) - {"view_open"}
    assert len(CELLS) == len(GRID) * 7 * 5
