"""How one student did on one exercise: passed, a catalogued mistake, not written, or
another failure.

A failed hidden check's message is ``"<what>: <mistake.hint>"``: the mistake is found by
looking for the hints of the assignment's catalogue (``handnet_ref.checks``, read when it
is asked for, so reworded hints are matched as they are now) in each failed cell's message.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..run.records import MESSAGE_CHARS, CellResult

if TYPE_CHECKING:
    from handnet_ref.checks import Mistake

PASSED, MISTAKE, NOT_WRITTEN, OTHER = "passed", "catalogued mistake", "not written", "other failure"
OUTCOMES = (PASSED, MISTAKE, NOT_WRITTEN, OTHER)
HINT_HEAD = 40  # characters of a hint that a message cut short must still show


def catalogue(assignment: str) -> tuple["Mistake", ...]:
    """The catalogued Mistakes of the checks of ``assignment``, one per key, as the
    reference package holds them now."""
    from handnet_ref.checks import TOPICS

    mistakes = {}
    for topic in TOPICS:
        if getattr(topic, "ASSIGNMENT", None) == assignment:
            for m in topic.CATALOGUE:
                mistakes.setdefault(m.key, m)
    return tuple(mistakes.values())


def _shown_at(message, hint):
    """Where ``message`` shows ``hint`` (whole, or its beginning up to the end of a
    message cut at MESSAGE_CHARS), or -1."""
    at = message.find(hint)
    if at >= 0 or len(message) < MESSAGE_CHARS:
        return at
    at = message.find(hint[:HINT_HEAD])
    return at if at >= 0 and hint.startswith(message[at:]) else -1


def identify(
    message: str, mistakes: Iterable["Mistake"], exercise: str | None = None
) -> "Mistake | None":
    """The Mistake whose hint ``message`` shows, or None.

    Where several match (a hint inside a longer one; two checks of one assignment sharing
    a hint), the longest hint wins, then the mistake whose check is named before the hint
    in the message ("backprop: ..."), then the one whose check is ``exercise``.
    """
    found = []
    for m in mistakes:
        at = _shown_at(message, m.hint)
        if at >= 0:
            check = m.key.split(".")[0]
            named = re.search(rf"\b{re.escape(check)}\b", message[:at]) is not None
            found.append(((len(m.hint), named, check == exercise), m))
    return max(found, key=lambda f: f[0])[1] if found else None


@dataclass
class Outcome:
    """How one student did on one exercise: one of OUTCOMES, and the catalogued
    mistakes found in its failed test cells (keys, in cell order)."""

    kind: str
    mistakes: list = field(default_factory=list)


def outcome(
    cells: Sequence[CellResult], mistakes: Iterable["Mistake"], exercise: str | None = None
) -> Outcome:
    """The Outcome of an exercise from its test cells (CellResults)."""
    failed = [c for c in cells if c.points < c.max_points]
    if not failed:
        return Outcome(PASSED)
    keys = []
    for c in failed:
        m = identify(c.message, mistakes, exercise)
        if m is not None and m.key not in keys:
            keys.append(m.key)
    if keys:
        return Outcome(MISTAKE, keys)
    if all("NotImplementedError" in c.message for c in failed):
        return Outcome(NOT_WRITTEN)
    return Outcome(OTHER)
