"""A test cell's outcome from the grader's verdicts, whatever the kernel showed.

After a cell has run, ``apply_verdicts`` matches the verdicts the ``VerdictServer``
(``verdicts.py``) gathered during it against what the cell's code asks for: one verdict
per hidden check it imports (``from handnet_ref.checks.<topic> import check_<name>``),
and, when the kernel passed it and it has visible tests, one for those. Then:

- a failed verdict becomes the cell's error (``CheckFailed`` with its message): the cell
  scores 0;
- a check that never reported fails the cell too, and, if the kernel showed the cell
  passing, is an integrity finding;
- a value the cell returned (nbgrader would read it as partial credit) is dropped;
- verdicts from a cell that is not a test cell, or more than the cell asks for, and the
  protocol incidents of the cell, are integrity findings.
"""

import re
from collections.abc import Iterable
from typing import Any

from nbformat import NotebookNode

from ..notebook.cells import error_message, error_output, is_test_cell, visible_code
from .verdicts import VISIBLE

HIDDEN_CHECK = re.compile(r"from\s+handnet_ref\.checks\.(\w+)\s+import\s+(check_\w+)")
# errors that GuardedExecute put in the cell itself, kept beside a failed check's
KERNEL_EVENTS = ("DeadKernelError", "CellTimeoutError")


def expected_verdicts(cell: NotebookNode, kernel_error: bool) -> list[tuple[str, str]]:
    """[(topic, check name)] the cell must get a verdict for; ("", VISIBLE) stands for
    its visible tests, run by the grader when the kernel passed the cell."""
    expected = HIDDEN_CHECK.findall(cell.source)
    if is_test_cell(cell) and not kernel_error and visible_code(cell):
        expected.append(("", VISIBLE))
    return expected


def apply_verdicts(
    cell: NotebookNode,
    index: int,
    verdicts: list[dict[str, Any]],
    incidents: Iterable[dict[str, Any]],
    integrity: list[dict[str, Any]],
) -> None:
    """Set the outputs of ``cell`` (number ``index``) from ``verdicts`` (the server's
    dicts: topic, name, passed, message); findings are appended to ``integrity`` as
    {"cell", "message"}."""
    for incident in incidents:
        integrity.append({"cell": index, "message": incident["message"]})
    kernel_error = error_message(cell) is not None
    expected = expected_verdicts(cell, kernel_error)
    if not is_test_cell(cell) or not expected:
        if verdicts:
            integrity.append(
                {
                    "cell": index,
                    "message": (
                        f"{len(verdicts)} hidden check(s) were run from a cell that is not a "
                        "test cell"
                    ),
                }
            )
        return
    if any(o.get("output_type") == "execute_result" for o in cell.outputs):
        cell.outputs = [o for o in cell.outputs if o.get("output_type") != "execute_result"]
        integrity.append(
            {
                "cell": index,
                "message": (
                    "the test cell returned a value (nbgrader would have read it as partial "
                    "credit); it was dropped"
                ),
            }
        )
    failures, left = [], list(verdicts)
    for topic, name in expected:
        match = next((v for v in left if (v["topic"], v["name"]) == (topic, name)), None)
        if match is None:
            failures.append(
                "the grader could not run this cell's visible tests"
                if name == VISIBLE
                else f"the hidden check {name} did not report to the grader"
            )
            continue
        left.remove(match)
        if not match["passed"]:
            failures.append(match["message"])
    if left:
        integrity.append(
            {
                "cell": index,
                "message": (
                    f"{len(left)} extra hidden check(s) were asked for during this cell: "
                    + ", ".join(v["name"] for v in left)
                ),
            }
        )
    if not failures:
        return
    if not kernel_error:
        # (when the kernel failed the cell too, a check that never reported is no
        # evidence: an unfinished notebook stops at a NameError before the check)
        integrity.append(
            {
                "cell": index,
                "message": (
                    "the kernel showed this test cell passing, but the grader's check failed: "
                    + failures[0][:300]
                ),
            }
        )
    keep = [
        o
        for o in cell.outputs
        if o.get("output_type") != "error" or o.get("ename") in KERNEL_EVENTS
    ]
    cell.outputs = keep + [error_output("CheckFailed", failures[0])]
