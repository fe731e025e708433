"""What the class got wrong: the instructor's view of one graded assignment.

From the records of an assignment (``grades/records/<assignment>/*.json``) it builds the
tables an instructor reads before the next lecture: the score distribution, how many
submissions passed each test cell, and for each exercise how many students made each
catalogued mistake ("4 students: sigmoid_prime.given_activation", with its hint), next to
those who left it unwritten or failed it some other way; and the submissions with
integrity findings. ``text`` renders it for the terminal (``handnet mistakes``),
``plot`` as three panels (``notebooks/class_view.ipynb``).

Each student's outcome on each exercise, and the catalogued mistake it shows, come from
``outcomes`` (the catalogue is read when the view is built, so reworded hints are matched
as they are now). An *exercise* is a solution cell and the test cells after it
(``exercises.exercise_cells``).
"""

import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self

from ..notebook.exercises import exercise_cells
from ..run.records import GRADER_FAILURE, Record, load_records
from ..run.report import integrity_evidence
from .outcomes import (
    MISTAKE,
    NOT_WRITTEN,
    OTHER,
    OUTCOMES,
    PASSED,
    Outcome,
    catalogue,
    outcome,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from handnet_ref.checks import Mistake


@dataclass
class ClassView:
    """The class-level picture of one assignment.

    records: its Records (a grader failure is left out of every table but counted);
    groups: [(exercise, [test cell names])]; mistakes: the catalogue matched against.
    """

    assignment: str
    records: list
    groups: list
    mistakes: tuple
    grader_failures: list = field(default_factory=list)

    @classmethod
    def build(
        cls,
        records: Sequence[Record],
        groups: list[tuple[str, list[str]]],
        mistakes: Iterable["Mistake"],
    ) -> Self:
        assignments = {r.assignment for r in records}
        if len(assignments) != 1:
            raise ValueError(
                f"a class view shows one assignment; these records are of "
                f"{', '.join(sorted(assignments)) or 'none'}"
            )
        kept = [r for r in records if r.status != GRADER_FAILURE]
        failures = sorted(r.student for r in records if r.status == GRADER_FAILURE)
        return cls(
            assignments.pop(),
            sorted(kept, key=lambda r: r.student),
            groups,
            tuple(mistakes),
            failures,
        )

    def score_histogram(self, bins: int = 10) -> list[tuple[float, float, int]]:
        """[(low, high, students)]: ``bins`` equal ranges of the points, the last one
        closed (full marks count in it)."""
        top = max((r.max_points for r in self.records), default=0.0) or 100.0
        edges = [top * i / bins for i in range(bins + 1)]
        counts = [0] * bins
        for r in self.records:
            counts[min(bins - 1, max(0, int(r.points / top * bins)))] += 1
        return [(edges[i], edges[i + 1], counts[i]) for i in range(bins)]

    def pass_rates(self) -> list[tuple[str, str, int, int]]:
        """[(exercise, cell, passed, graded)]: per test cell, in notebook order, the
        submissions that got its full points out of those graded with it."""
        rows = []
        for exercise, names in self.groups:
            for name in names:
                results = [c for r in self.records for c in r.cells if c.name == name]
                rows.append(
                    (exercise, name, sum(c.points == c.max_points for c in results), len(results))
                )
        return rows

    def outcomes(self) -> dict[tuple[str, str], Outcome]:
        """{(student, exercise): Outcome} for every submission with graded cells."""
        found = {}
        for r in self.records:
            cells = {c.name: c for c in r.cells}
            for exercise, names in self.groups:
                mine = [cells[n] for n in names if n in cells]
                if mine:
                    found[(r.student, exercise)] = outcome(mine, self.mistakes, exercise)
        return found

    def exercise_outcomes(self) -> list[tuple[str, Counter[str]]]:
        """[(exercise, Counter of OUTCOMES over students)] in notebook order."""
        found = self.outcomes()
        return [
            (exercise, Counter(o.kind for (s, e), o in found.items() if e == exercise))
            for exercise, _ in self.groups
        ]

    def mistake_counts(self) -> list[tuple[str, "Mistake", list[str]]]:
        """[(exercise, Mistake, [students])]: every catalogued mistake made at least once,
        by exercise in notebook order, the most frequent first."""
        by_key = {m.key: m for m in self.mistakes}
        found = self.outcomes()
        rows = []
        for exercise, _ in self.groups:
            students = {}
            for (s, e), o in sorted(found.items()):
                if e == exercise:
                    for key in o.mistakes:
                        students.setdefault(key, []).append(s)
            rows += [
                (exercise, by_key[k], v)
                for k, v in sorted(students.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            ]
        return rows

    def flagged(self) -> list[tuple[str, float, float, list[str]]]:
        """[(student, points, max_points, evidence lines)]: the submissions with
        integrity findings (``report.integrity_evidence``)."""
        return [
            (r.student, r.points, r.max_points, e)
            for r in self.records
            for e in [integrity_evidence(r)]
            if e
        ]


def class_view(root: str | Path, assignment: str) -> ClassView:
    """The ClassView of ``assignment`` from the course's records; ValueError, saying
    what to run, when it has none."""
    records = load_records(root, assignment)
    if not records:
        raise ValueError(
            f"no grading records of {assignment} in "
            f"{Path(root) / 'grades' / 'records' / assignment}: run "
            f"`handnet autograde -a {assignment}` first"
        )
    return ClassView.build(records, exercise_cells(root, assignment), catalogue(assignment))


def _bar(n, total, width=30):
    return "#" * round(width * n / total) if total else ""


def text(view: ClassView, width: int = 100) -> str:
    """The view as text for the terminal."""
    n = len(view.records)
    lines = [
        f"{view.assignment}: {n} submission(s)"
        + (
            f"; not shown, grader failures to grade again: {', '.join(view.grader_failures)}"
            if view.grader_failures
            else ""
        ),
        "",
        "score distribution:",
    ]
    for low, high, count in view.score_histogram():
        lines.append(f"  {low:5g} - {high:<5g} {count:>4}  {_bar(count, n)}")
    lines += ["", "test cells passed:"]
    for _exercise, cell, passed, graded in view.pass_rates():
        lines.append(f"  {cell:<40} {passed:>4}/{graded:<4} {_bar(passed, graded, 20)}")
    lines += ["", "per exercise, students who:"]
    mistakes = view.mistake_counts()
    for exercise, counts in view.exercise_outcomes():
        lines.append(f"  {exercise}: " + ", ".join(f"{counts[k]} {k}" for k in OUTCOMES))
        for _, mistake, students in (row for row in mistakes if row[0] == exercise):
            lines.append(f"    {len(students):>4}  {mistake.key}")
            lines += textwrap.wrap(
                mistake.hint, width, initial_indent=" " * 10, subsequent_indent=" " * 10
            )
            lines += textwrap.wrap(
                "students: " + ", ".join(students),
                width,
                initial_indent=" " * 10,
                subsequent_indent=" " * 12,
            )
    flagged = view.flagged()
    lines += [
        "",
        f"integrity: {len(flagged)} submission(s) to look at"
        + (" (evidence below)" if flagged else ""),
    ]
    for student, points, max_points, evidence in flagged:
        lines.append(f"  {student}: {points:g}/{max_points:g}")
        lines += [f"    {line}"[:width] for line in evidence]
    return "\n".join(lines)


def plot(view: ClassView, figsize: tuple[float, float] = (13, 9)) -> "Figure":
    """The view as a matplotlib Figure: the score distribution, each test cell's pass
    rate, and per exercise the students of each outcome with the catalogued mistakes
    counted."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.4])
    plot_scores(view, fig.add_subplot(grid[0, 0]))
    plot_pass_rates(view, fig.add_subplot(grid[1, 0]))
    plot_mistakes(view, fig.add_subplot(grid[:, 1]))
    fig.suptitle(f"{view.assignment}: {len(view.records)} submissions")
    return fig


def plot_scores(view: ClassView, ax: "Axes") -> None:
    """Histogram of the points on ``ax``."""
    rows = view.score_histogram()
    ax.bar(
        [low for low, _, _ in rows],
        [c for _, _, c in rows],
        width=[high - low for low, high, _ in rows],
        align="edge",
        edgecolor="white",
    )
    ax.set(xlabel="points", ylabel="submissions", title="score distribution", xlim=(0, rows[-1][1]))
    ax.yaxis.get_major_locator().set_params(integer=True)


def plot_pass_rates(view: ClassView, ax: "Axes") -> None:
    """One horizontal bar per test cell, its share of submissions passing, on ``ax``."""
    rows = view.pass_rates()
    y = range(len(rows))
    ax.barh(y, [p / g if g else 0 for _, _, p, g in rows])
    ax.set_yticks(list(y), [cell for _, cell, _, _ in rows], fontsize="small")
    ax.invert_yaxis()
    for i, (_, _, passed, graded) in enumerate(rows):
        ax.text(1.01, i, f"{passed}/{graded}", va="center", fontsize="small")
    ax.set(xlim=(0, 1), xlabel="share of submissions passing", title="test cells")


def plot_mistakes(view: ClassView, ax: "Axes") -> None:
    """Per exercise (a heading that says how many passed), a bar of students for each
    catalogued mistake, labelled with its key, and for those who did not write it or
    failed it otherwise, on ``ax``."""
    from matplotlib.patches import Patch

    colour = {MISTAKE: "tab:red", NOT_WRITTEN: "tab:gray", OTHER: "tab:orange"}
    labels, counts, colours = [], [], []
    by_exercise = {}
    for exercise, mistake, students in view.mistake_counts():
        by_exercise.setdefault(exercise, []).append((mistake.key, len(students)))
    for exercise, n in view.exercise_outcomes():
        labels.append(f"{exercise} ({n[PASSED]} of {sum(n.values())} passed)")
        counts.append(0)
        colours.append("none")
        rows = by_exercise.get(exercise, []) + [
            (kind, n[kind]) for kind in (NOT_WRITTEN, OTHER) if n[kind]
        ]
        for key, count in rows:
            labels.append(key.split(".", 1)[-1] if "." in key else key)
            counts.append(count)
            colours.append(colour.get(key, colour[MISTAKE]))
    y = range(len(labels))
    ax.barh(y, counts, color=colours)
    ax.set_yticks(list(y), labels, fontsize="small")
    for tick, c in zip(ax.get_yticklabels(), colours):
        if c == "none":
            tick.set_fontweight("bold")
    ax.invert_yaxis()
    for i, (count, c) in enumerate(zip(counts, colours)):
        if c != "none":
            ax.text(count, i, f" {count}", va="center", fontsize="small")
    ax.set(xlabel="students", title="what went wrong, per exercise")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlim(0, 1.4 * max(counts + [1]))  # room on the right for the legend
    ax.legend(
        handles=[Patch(color=c, label=k) for k, c in colour.items()],
        loc="upper right",
        fontsize="small",
    )
