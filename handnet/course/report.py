"""Grades out of the records: CSV files and the summary an instructor reads.

nbgrader's own export gives a crashed or unreadable submission a plain 0, like an honest
attempt that earned nothing; these files carry each submission's status and message.
"""

import csv
from collections import Counter, defaultdict
from pathlib import Path

from .grading import STATUSES, load_records

SUBMISSION_FIELDS = ["student", "assignment", "status", "points", "max_points", "message",
                     "seconds"]
CELL_FIELDS = ["student", "assignment", "cell", "points", "max_points", "message"]


def export(root, records=None, folder=None):
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
            w.writerow([r.student, r.assignment, r.status, f"{r.points:g}", f"{r.max_points:g}",
                        r.message, f"{r.seconds:.2f}"])
    with cells.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CELL_FIELDS)
        for r in records:
            for c in r.cells:
                w.writerow([r.student, r.assignment, c.name, f"{c.points:g}",
                            f"{c.max_points:g}", c.message])
    return grades, cells


def summary(records, width=100):
    """The summary as text: a table of students by assignments (points, and the status
    where it is not "graded"), the statuses counted, and per test cell how many passed."""
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
            lines.append(f"  {r.student} / {r.assignment}: {r.status}"
                         + (f": {r.message}" if r.message else "")[:width])
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
