"""The class view, on small hand-made records: which student made which catalogued
mistake, counted per exercise; pass rates, scores, integrity; the text, the plot and the
``handnet mistakes`` command."""

import dataclasses

import matplotlib
import nbformat
import pytest

from handnet_grader.classview import view as classview
from handnet_grader.classview.outcomes import MISTAKE, NOT_WRITTEN, OTHER, PASSED, catalogue
from handnet_grader.classview.view import ClassView, class_view
from handnet_grader.run.records import CellResult, Record, write_record
from handnet_ref.checks import neuron

matplotlib.use("Agg")

A = "01_neuron"
GROUPS = [
    ("sigmoid", ["test_sigmoid_visible", "test_sigmoid_hidden"]),
    ("sigmoid_prime", ["test_sigmoid_prime_visible", "test_sigmoid_prime_hidden"]),
]
NOT_WRITTEN_MESSAGE = (
    "NotImplementedError: Replace this line with your code, as the comment above says."
)


def mistake(key):
    return next(m for m in neuron.CATALOGUE if m.key == key)


def hidden_failure(key):
    """The message a failed hidden check leaves in a record: "<what>: <hint>"."""
    m = mistake(key)
    return f"CheckFailed: {m.key.split('.')[0]}: {m.hint}"


def record(student, failures=(), status="graded", integrity=(), events=()):
    """A record of ``student`` with every test cell of GROUPS worth 10 points; the cells
    in ``failures`` ({cell: message}) score 0."""
    failures = dict(failures)
    cells = [
        CellResult(name, 0.0 if name in failures else 10.0, 10.0, failures.get(name, ""))
        for _, names in GROUPS
        for name in names
    ]
    points = sum(c.points for c in cells)
    return Record(
        student,
        A,
        status,
        points=points,
        max_points=40.0,
        cells=cells,
        integrity=list(integrity),
        events=list(events),
    )


GIVEN = "sigmoid_prime.given_activation"
SIGN = "sigmoid.sign"


def the_class():
    """Three students give sigmoid_prime the activation (one of them fails both its cells
    with it), one flips sigmoid's sign, one wrote nothing, one fails sigmoid_prime without
    a catalogued mistake, one passes everything."""
    return [
        record(
            "ann",
            {
                "test_sigmoid_prime_hidden": hidden_failure(GIVEN),
                "test_sigmoid_prime_visible": "AssertionError: sigma'(0) = 1/4, got 0.0",
            },
        ),
        record(
            "bob",
            {
                "test_sigmoid_prime_hidden": hidden_failure(GIVEN),
                "test_sigmoid_prime_visible": hidden_failure(GIVEN),
            },
        ),
        record("cy", {"test_sigmoid_prime_hidden": hidden_failure(GIVEN)}),
        record("dee", {"test_sigmoid_hidden": hidden_failure(SIGN)}),
        record("eve", {name: NOT_WRITTEN_MESSAGE for _, names in GROUPS for name in names}),
        record(
            "fay",
            {
                "test_sigmoid_prime_hidden": "CheckFailed: sigmoid_prime is wrong: at index (0, 0) the answer should "
                "be 0.1, yours is 7. (check seed 1)"
            },
        ),
        record("gus"),
    ]


def view(records=None):
    return ClassView.build(the_class() if records is None else records, GROUPS, catalogue(A))


def test_each_mistake_is_counted_once_per_student_in_its_exercise():
    """Three students applied sigmoid_prime to the activation (bob in both cells), one
    flipped sigmoid's sign: those are the counts, with the students named."""
    rows = [(exercise, m.key, students) for exercise, m, students in view().mistake_counts()]
    assert rows == [("sigmoid", SIGN, ["dee"]), ("sigmoid_prime", GIVEN, ["ann", "bob", "cy"])]


def test_exercise_outcomes_tell_mistakes_from_unwritten_and_other_failures():
    outcomes = dict(view().exercise_outcomes())
    assert outcomes["sigmoid"] == {PASSED: 5, MISTAKE: 1, NOT_WRITTEN: 1}
    assert outcomes["sigmoid_prime"] == {PASSED: 2, MISTAKE: 3, NOT_WRITTEN: 1, OTHER: 1}


def test_pass_rates_count_full_points_per_test_cell_in_notebook_order():
    rates = view().pass_rates()
    assert [cell for _, cell, _, _ in rates] == [n for _, names in GROUPS for n in names]
    assert {cell: (passed, graded) for _, cell, passed, graded in rates} == {
        "test_sigmoid_visible": (6, 7),
        "test_sigmoid_hidden": (5, 7),
        "test_sigmoid_prime_visible": (4, 7),
        "test_sigmoid_prime_hidden": (2, 7),
    }


def test_score_histogram_counts_every_submission_and_puts_full_marks_in_the_last_bin():
    rows = view().score_histogram(bins=4)  # bins of 10 points out of 40
    assert [(low, high) for low, high, _ in rows] == [(0, 10), (10, 20), (20, 30), (30, 40)]
    # eve 0; ann, bob 20; cy, dee, fay 30; gus 40
    assert [n for _, _, n in rows] == [1, 0, 2, 4]


def test_grader_failures_are_left_out_of_the_tables_and_named():
    failed = Record("hal", A, "grader failure", message="grading failed on the course's side")
    v = view(the_class() + [failed])
    assert v.grader_failures == ["hal"]
    assert "hal" not in [r.student for r in v.records]
    assert sum(n for _, _, n in v.score_histogram()) == 7
    assert "grader failures to grade again: hal" in classview.text(v)


def test_flagged_lists_integrity_findings_and_limits_only():
    records = the_class()
    records[0].integrity = [{"cell": 4, "message": "the kernel passed a test the grader failed"}]
    records[1].events = [{"cell": 6, "status": "memory limit", "message": "MemoryError"}]
    flagged = {student: evidence for student, _, _, evidence in view(records).flagged()}
    assert flagged == {
        "ann": ["cell 5: the kernel passed a test the grader failed"],
        "bob": ["cell 7: memory limit: MemoryError"],
    }


def test_a_view_shows_one_assignment():
    other = dataclasses.replace(record("zed"), assignment="02_feedforward")
    with pytest.raises(ValueError, match="01_neuron, 02_feedforward"):
        view(the_class() + [other])


def test_text_names_counts_hints_and_students():
    lines = classview.text(view(), width=200).splitlines()
    assert f"       3  {GIVEN}" in lines
    assert f"          {mistake(GIVEN).hint}" in lines
    assert "          students: ann, bob, cy" in lines
    assert (
        "  sigmoid_prime: 2 passed, 3 catalogued mistake, 1 not written, 1 other failure" in lines
    )


def test_plot_draws_scores_pass_rates_and_mistakes():
    fig = classview.plot(view())
    scores, cells, mistakes = fig.axes
    assert [round(p.get_height()) for p in scores.patches] == [1, 0, 0, 0, 0, 2, 0, 3, 0, 1]
    assert [round(p.get_width(), 3) for p in cells.patches] == [0.857, 0.714, 0.571, 0.286]
    bars = {
        t.get_text(): round(p.get_width())
        for t, p in zip(mistakes.get_yticklabels(), mistakes.patches)
    }
    assert bars["given_activation"] == 3 and bars["sign"] == 1
    assert "sigmoid_prime (2 of 7 passed)" in bars


def small_course(root):
    """A course folder with one assignment of two exercises (GROUPS) in source/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text("")
    nb = nbformat.v4.new_notebook()
    for exercise, names in GROUPS:
        nb.cells.append(
            nbformat.v4.new_code_cell(
                f"def {exercise}(z): ...",
                metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": exercise}},
            )
        )
        nb.cells += [
            nbformat.v4.new_code_cell(
                "pass",
                metadata={
                    "nbgrader": {"solution": False, "grade": True, "grade_id": name, "points": 10}
                },
            )
            for name in names
        ]
    (root / "source" / A).mkdir(parents=True)
    nbformat.write(nb, root / "source" / A / f"{A}.ipynb")
    return root


def test_class_view_reads_the_course_records_and_its_exercises(tmp_path):
    root = small_course(tmp_path)
    with pytest.raises(ValueError, match=f"handnet autograde -a {A}"):
        class_view(root, A)
    for r in the_class():
        write_record(root, r)
    v = class_view(root, A)
    assert v.groups == GROUPS
    assert [(m.key, s) for _, m, s in v.mistake_counts()] == [
        (SIGN, ["dee"]),
        (GIVEN, ["ann", "bob", "cy"]),
    ]


def test_handnet_mistakes_prints_the_view_and_draws_it(tmp_path, monkeypatch, capsys):
    from handnet_grader.cli import main

    root = small_course(tmp_path / "course")
    monkeypatch.chdir(root)
    with pytest.raises(SystemExit, match=f"no grading records of {A}"):
        main(["mistakes", "-a", A])
    for r in the_class():
        write_record(root, r)
    capsys.readouterr()
    assert main(["mistakes", "-a", A, "--plot", str(tmp_path / "view.png")]) == 0
    out = capsys.readouterr().out
    assert f"       3  {GIVEN}" in out and f"wrote {tmp_path / 'view.png'}" in out
    assert (tmp_path / "view.png").read_bytes()[:4] == b"\x89PNG"
