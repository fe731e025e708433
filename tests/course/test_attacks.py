"""The adversarial submissions of ``attacks``, graded beside honest ones.

On a copy of the course the honest submissions (the reference of assignments 1, 3 and 4)
are graded first; then the course tree, the gradebook's course definition and the honest
students' grades are fingerprinted; then the attacks are graded, two workers at once.
Each attack must end as its ``Attack`` says, nothing outside the attackers' own
folders may have changed, and no process the run started may outlive it.

The sandbox is part of what is tested: without bwrap the module is skipped, unless
``$HANDNET_REQUIRE_SANDBOX`` is 1 (CI), where that is a failure.
"""

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import nbformat
import pytest
from attacks import attack_class, fork_beside, write_attacks
from course_files import ROOT, copy_course, grading_environment

from handnet_grader.classview.sample_class import sample_class, write_sample_class
from handnet_grader.course.release import generate_release
from handnet_grader.kernel import orphans
from handnet_grader.kernel.sandbox import sandbox_status
from handnet_grader.run.driver import grade_class
from handnet_grader.run.report import integrity_evidence, summary

ATTACKS = attack_class(ROOT)
HONEST = "honest"
COURSE_TABLES = (
    "course",
    "assignment",
    "notebook",
    "base_cell",
    "grade_cells",
    "solution_cells",
    "source_cell",
    "task_cells",
)


def _require_sandbox():
    ok, why = sandbox_status()
    if not ok:
        if os.environ.get("HANDNET_REQUIRE_SANDBOX") == "1":
            pytest.fail(f"the sandbox is required here: {why}")
        pytest.skip(f"no sandbox on this machine: {why}")


def _file_hashes(root, skip):
    """{relative path: sha256} of every file under root, except under ``skip`` prefixes."""
    hashes = {}
    for path in sorted(Path(root).rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not any(rel == s or rel.startswith(s + "/") for s in skip):
            hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _gradebook_fingerprint(root, student):
    """The course's definition in the gradebook (every table that holds it) and the
    grades of ``student``, as text."""
    with sqlite3.connect(Path(root) / "gradebook.db") as db:
        tables = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        rows = {
            t: sorted(map(repr, db.execute(f"SELECT * FROM {t}")))
            for t in sorted(tables)
            if t in COURSE_TABLES
        }
        rows["grades"] = sorted(
            map(
                repr,
                db.execute(
                    "SELECT g.* FROM grade g JOIN submitted_notebook n ON g.notebook_id = n.id "
                    "JOIN submitted_assignment a ON n.assignment_id = a.id WHERE a.student_id = ?",
                    (student,),
                ),
            )
        )
    return json.dumps(rows, sort_keys=True)


@pytest.fixture(scope="module")
def environment():
    with grading_environment(HANDNET_CELL_TIMEOUT="20", HANDNET_CHECK_SEED="2026"):
        yield


@pytest.fixture(scope="module")
def attacked(tmp_path_factory, environment):
    """(course root, {(student, assignment): Record}, changes outside the attackers'
    folders, {pid: (state, command)} of the processes the attacks' run left) after
    grading the honest submissions, then the attacks."""
    _require_sandbox()
    root = copy_course(tmp_path_factory.mktemp("attacked"))
    generate_release(root)
    honest = [
        s
        for s in sample_class(
            root, ["01_neuron", "03_backprop", "04_sgd"], broken_in=[], mistakes_in=[]
        )
        if s.student == "reference"
    ]
    for s in honest:
        s.student = HONEST
    write_sample_class(root, honest)
    write_attacks(root, ATTACKS)
    records = grade_class(root, student=HONEST)
    attackers = sorted({a.student for a in ATTACKS})
    own = [f"{top}/{s}" for s in attackers for top in ("autograded", "feedback")]
    skip = own + ["grades", "gradebook.db"]
    repo = ("handnet", "handnet_ref", "source", "release", "nbgrader_config.py")

    def fingerprint():
        """(the course's files, the honest students' gradebook rows, the repository's own)."""
        return (
            _file_hashes(root, skip),
            _gradebook_fingerprint(root, HONEST),
            {
                p: _file_hashes(ROOT / p, ["__pycache__"])
                if (ROOT / p).is_dir()
                else hashlib.sha256((ROOT / p).read_bytes()).hexdigest()
                for p in repo
            },
        )

    before = fingerprint()
    orphans.adopt_orphans()  # what the run leaves anywhere below comes back to this process
    running = _descendants()
    try:
        records += grade_class(root, student=attackers, workers=2)
        after = fingerprint()
        left = {pid: what for pid, what in _descendants().items() if pid not in running}
    finally:
        orphans.adopt_orphans(False)  # the tests that follow in this process as before
    return root, {(r.student, r.assignment): r for r in records}, (before, after), left


def _descendants():
    """{pid: (state, command)} of every process below this one, zombies included."""
    table = orphans.process_table()
    return {pid: table[pid][1:] for pid in orphans.descendants(os.getpid(), table)}


def _outputs(root, attack):
    """Every line that the graded notebook's cells printed."""
    (path,) = (Path(root) / "autograded" / attack.student / attack.assignment).glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    return [
        line
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "stream"
        for line in out.get("text", "").splitlines()
    ]


def test_honest_submissions_get_full_marks(attacked):
    _, records, _, _ = attacked
    honest = [r for (s, _), r in records.items() if s == HONEST]
    assert len(honest) == 3
    for r in honest:
        assert (r.status, r.points) == ("graded", r.max_points), r.message
        assert not r.integrity, r.integrity


def test_nothing_outside_the_attackers_folders_changed(attacked):
    _, _, (before, after), _ = attacked
    files_before, gradebook_before, repo_before = before
    files_after, gradebook_after, repo_after = after
    assert files_after == files_before, sorted(set(files_after.items()) ^ set(files_before.items()))
    assert gradebook_after == gradebook_before
    assert repo_after == repo_before


def test_no_process_of_the_run_outlives_it(attacked):
    """Graded with this process as the one orphans are given to (so that nothing the run
    starts, at any depth, can hide under PID 1): when the attacks' run has returned, is
    every process it started gone, zombies included, though one attack left daemons in
    a session of their own and made its kernel linger until it was killed?"""
    _, _, _, left = attacked
    assert left == {}


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.student for a in ATTACKS])
def test_attack_ends_as_it_must(attacked, attack):
    root, records, _, _ = attacked
    record = records[(attack.student, attack.assignment)]
    cells = {c.name: c for c in record.cells}
    evidence = "\n".join(integrity_evidence(record) + [record.message])
    assert record.status == attack.status, evidence
    for name in attack.zero:
        assert cells[name].points == 0, f"{attack.description}: {name} earned {cells[name].points}"
    if attack.points is not None:
        assert record.points == attack.points, [(c.name, c.points, c.message) for c in record.cells]
    if attack.full:
        assert record.points == record.max_points, [
            (c.name, c.points, c.message) for c in record.cells if c.points < c.max_points
        ]
    if attack.flag:
        assert attack.flag in evidence, evidence
    lines = _outputs(root, attack)
    leaks = [l for l in lines if l.startswith(attack.forbidden)]
    assert not leaks, leaks
    for expected in attack.expected_lines:
        assert any(expected in l for l in lines), (expected, lines)


def test_summary_reports_the_attacks(attacked):
    _, records, _, _ = attacked
    text = summary(list(records.values()))
    assert "! integrity:" in text
    for attack in ATTACKS:
        if attack.flag:
            assert f"{attack.student} / {attack.assignment}" in text
    assert "kernels ran in: bubblewrap" in text


def test_a_fork_bomb_costs_the_submission_beside_it_nothing(attacked):
    """Graded side by side (two workers), does an honest submission keep full marks while
    the other holds every process its kernel may start, and is the hog stopped at its
    own limit?"""
    root, _, _, _ = attacked
    hog = fork_beside(root)
    write_attacks(root, [hog])
    beside = [
        s
        for s in sample_class(root, ["01_neuron"], broken_in=[], mistakes_in=[])
        if s.student == "reference"
    ]
    beside[0].student = "honest-beside-fork"
    write_sample_class(root, beside)
    records = {
        r.student: r
        for r in grade_class(
            root, "01_neuron", student=[hog.student, "honest-beside-fork"], workers=2
        )
    }
    honest = records["honest-beside-fork"]
    assert honest.status == "graded" and honest.points == honest.max_points == 100, honest.message
    assert records[hog.student].points == 100 and "BLOCKED after" in "\n".join(_outputs(root, hog))
