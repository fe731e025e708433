"""release/ is exactly what nbgrader makes from source/, and gives nothing away."""

import json

import pytest
from course_files import ASSIGNMENTS, ROOT, notebooks

from handnet_grader.course.release import generate_release, release_differences

RELEASE_NOTEBOOKS = notebooks("release")
FORBIDDEN = [
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "handnet_ref",
]


def test_every_assignment_has_a_release():
    """Does each source assignment have its release folder, and no release lack a source?"""
    released = sorted(p.name for p in (ROOT / "release").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS


def test_release_is_what_source_generates(tmp_path):
    """Regenerated into a temporary folder, is release/ the same, notebook for notebook?"""
    generate_release(ROOT, release_dir=tmp_path, use_db=False)
    assert release_differences(tmp_path, ROOT / "release") == []


@pytest.mark.parametrize(
    "assignment, path", RELEASE_NOTEBOOKS, ids=[a for a, _ in RELEASE_NOTEBOOKS]
)
def test_release_holds_no_solutions_hidden_tests_or_outputs(assignment, path):
    """No solution code, no hidden test, no mention of the reference, no outputs."""
    text = path.read_text()
    for word in FORBIDDEN:
        assert word not in text, f"{path.name} contains {word!r}"
    nb = json.loads(text)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{path.name}: cell {cell.get('id')} has outputs"
            )


def test_release_folders_hold_only_notebooks():
    """Nothing but notebooks reaches students (nbgrader copies any other source file)."""
    others = [
        p.relative_to(ROOT)
        for p in (ROOT / "release").rglob("*")
        if p.is_file() and p.suffix != ".ipynb"
    ]
    assert others == []
    others = [
        p.relative_to(ROOT)
        for p in (ROOT / "source").rglob("*")
        if p.is_file() and p.suffix != ".ipynb" and ".ipynb_checkpoints" not in p.parts
    ]
    assert others == []
