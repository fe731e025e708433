"""Grades out of the records: CSV files and the summary an instructor reads.

nbgrader's own export gives a crashed or unreadable submission a plain 0, like an honest
attempt that earned nothing; these files carry each submission's status and message.
"""

import csv
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from .records import STATUSES, Record, load_records

SUBMISSION_FIELDS = [
    "student",
    "assignment",
    "status",
    "points",
    "max_points",
    "message",
    "seconds",
    "integrity",
    "late_penalty",
]
CELL_FIELDS = ["student", "assignment", "cell", "points", "max_points", "message"]


def export(
    root: str | Path, records: Sequence[Record] | None = None, folder: str | Path | None = None
) -> tuple[Path, Path]:
    """Write grades.csv (one row per submission) and cells.csv (one row per test cell)
    into ``folder`` (default: grades/); return the two paths."""
    records = load_records(root) if records is None else records
    folder = Path(folder or Path(root) / "grades")
    folder.mkdir(parents=True, exist_ok=True)
    grades, cells = folder / "grades.csv", folder / "cells.csv"
    with grades.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SUBMISSION_FIELDS)
        for r in records:
            w.writerow(
                [
                    r.student,
                    r.assignment,
                    r.status,
                    f"{r.points:g}",
                    f"{r.max_points:g}",
                    r.message,
                    f"{r.seconds:.2f}",
                    len(integrity_evidence(r)),
                    f"{r.late_penalty:g}",
                ]
            )
    with cells.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CELL_FIELDS)
        for r in records:
            for c in r.cells:
                w.writerow(
                    [
                        r.student,
                        r.assignment,
                        c.name,
                        f"{c.points:g}",
                        f"{c.max_points:g}",
                        c.message,
                    ]
                )
    return grades, cells


LIMIT_STATUSES = ("memory limit", "timeout", "kernel died")


def integrity_evidence(record: Record) -> list[str]:
    """Lines of evidence for the integrity report: what the grader found (the kernel
    disagreeing with its verdicts, protocol breaches, code reaching for the gradebook or
    the reference) and the limits the submission hit."""
    lines = [
        f"cell {e['cell'] + 1}: {e['message']}" if e.get("cell") is not None else e["message"]
        for e in record.integrity
    ]
    lines += [
        f"cell {e['cell'] + 1}: {e['status']}: {e['message']}"
        for e in record.events
        if e.get("status") in LIMIT_STATUSES
    ]
    lines += [
        f"cell {e['cell'] + 1}: {e['message']}"
        for e in record.events
        if e.get("status") not in LIMIT_STATUSES
        and str(e.get("message", "")).startswith("output cut")
    ]
    return lines


def integrity_report(
    records: Sequence[Record], width: int = 100, per_submission: int = 6
) -> list[str]:
    """The integrity section of the summary (empty when nothing was found)."""
    lines = []
    unsandboxed = sorted({r.sandbox for r in records if r.sandbox.startswith("none")})
    for reason in unsandboxed:
        lines.append(f"WARNING: kernels ran WITHOUT A SANDBOX ({reason[len('none: ') :]})")
    flagged = [(r, integrity_evidence(r)) for r in records]
    flagged = [(r, e) for r, e in flagged if e]
    if flagged:
        lines.append(f"! integrity: {len(flagged)} submission(s) to look at (evidence below)")
        for r, evidence in flagged:
            lines.append(f"  {r.student} / {r.assignment}: {r.points:g}/{r.max_points:g}")
            for line in evidence[:per_submission]:
                lines.append(f"    {line}"[:width])
            if len(evidence) > per_submission:
                lines.append(
                    f"    ... and {len(evidence) - per_submission} more "
                    f"(grades/records/{r.assignment}/{r.student}.json)"
                )
    return lines


def summary(records: Sequence[Record], width: int = 100) -> str:
    """The summary as text: a table of students by assignments (points, and the status
    where it is not "graded"), the statuses counted, the integrity report, and per test
    cell how many passed."""
    assignments = sorted({r.assignment for r in records})
    students = sorted({r.student for r in records})
    by = {(r.student, r.assignment): r for r in records}
    name_w = max([len("student")] + [len(s) for s in students]) + 2
    col_w = max([14] + [len(a) + 2 for a in assignments])
    lines = ["".join(["student".ljust(name_w), *(a.rjust(col_w) for a in assignments)])]
    for s in students:
        cells = []
        for a in assignments:
            r = by.get((s, a))
            if r is None:
                cells.append("-".rjust(col_w))
                continue
            mark = "" if r.status == "graded" else "!"
            cells.append(f"{r.points:g}/{r.max_points:g}{mark}".rjust(col_w))
        lines.append("".join([s.ljust(name_w), *cells]))
    lines.append("")
    counts = Counter(r.status for r in records)
    lines.append("statuses: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]))
    flagged = [r for r in records if r.status != "graded" or r.message]
    if flagged:
        lines.append("")
        lines.append("! submissions that need a look:")
        for r in flagged:
            lines.append(
                f"  {r.student} / {r.assignment}: {r.status}"
                + (f": {r.message}" if r.message else "")[:width]
            )
    report = integrity_report(records, width)
    if report:
        lines.append("")
        lines.extend(report)
    sandboxes = sorted({r.sandbox for r in records if r.sandbox})
    if sandboxes:
        lines.append("")
        lines.append("kernels ran in: " + "; ".join(sandboxes))
    lines.append("")
    lines.append("test cells passed, per assignment:")
    for a in assignments:
        passed, total = defaultdict(int), defaultdict(int)
        for r in records:
            if r.assignment == a:
                for c in r.cells:
                    total[c.name] += 1
                    passed[c.name] += c.points == c.max_points
        lines.append(f"  {a}")
        for n in sorted(total):
            lines.append(f"    {n:<40} {passed[n]:>4}/{total[n]}")
    return "\n".join(lines)
