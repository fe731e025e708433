"""The instructor's formgrader, in JupyterLab of the instructor's environment, started as
``.venv/bin/jupyter lab`` by an instructor who did not activate the venv (no ``.venv/bin``
on PATH), on a copy of the course (nbgrader_config.py, source/, release/).
"""

import hashlib
import json
import shutil
import sqlite3
import urllib.error
import urllib.request

import pytest
from labserver import REPO, clean_env, make_home, path_without_venvs

JUPYTER = REPO / ".venv" / "bin" / "jupyter"
ASSIGNMENTS = sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())
GENERATED = "01_neuron"
GENERATE_TIMEOUT = 300_000  # ms


@pytest.fixture
def course_lab(jupyter_lab, tmp_path):
    """JupyterLab of .venv serving a copy of the course, from the course's folder (where
    nbgrader reads nbgrader_config.py), with a HOME of its own and neither venv on PATH."""
    course, home = tmp_path / "course", tmp_path / "home"
    course.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", course)
    for folder in ("source", "release"):
        shutil.copytree(REPO / folder, course / folder)
    return jupyter_lab(JUPYTER, course, clean_env(make_home(home), path_without_venvs()))


def tree_hashes(folder):
    """{path relative to ``folder``: SHA-256 of its bytes} of every file under it."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def gradebook_assignments(course):
    """Names of the assignments in the course's gradebook (none if it does not exist)."""
    database = course / "gradebook.db"
    if not database.exists():
        return []
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return sorted(name for (name,) in connection.execute("SELECT name FROM assignment"))


def test_assignments_api_answers_without_the_venv_on_path(course_lab):
    """Does /formgrader/api/assignments answer 200 with the seven assignments when the
    server was started without .venv/bin on PATH (nbgrader runs `alembic` to create the
    gradebook)?"""
    try:
        with urllib.request.urlopen(
            course_lab.address("/formgrader/api/assignments"), timeout=120
        ) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode(errors="replace")
    assert status == 200, body
    assert [assignment["name"] for assignment in json.loads(body)] == ASSIGNMENTS


def test_generate_in_formgrader_reproduces_the_release(page, course_lab):
    """In the Formgrader (Nbgrader menu), are the seven assignments listed, and does
    Generate of one leave release/ byte for byte as it was and record the assignment in
    the gradebook?"""
    page.goto(course_lab.address("/lab"))
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Nbgrader", exact=True).click()
    page.get_by_role("menuitem", name="Formgrader", exact=True).click()
    formgrader = page.frame_locator("#formgrader-iframe iframe")
    names = formgrader.locator("#main-table td.name")  # #main-table: the <tbody>
    names.nth(len(ASSIGNMENTS) - 1).wait_for()
    assert sorted(names.all_text_contents()) == ASSIGNMENTS

    release = course_lab.root / "release"
    before = tree_hashes(release)
    notebook = release / GENERATED / f"{GENERATED}.ipynb"
    written = notebook.stat().st_mtime_ns
    assert GENERATED not in gradebook_assignments(course_lab.root)
    row = formgrader.locator("#main-table tr").filter(
        has=formgrader.locator(f'td.name[data-order="{GENERATED}"]')
    )
    row.locator("td.assign a").click()  # the Generate column
    result = formgrader.locator("#success-modal, #error-modal")
    result.wait_for(timeout=GENERATE_TIMEOUT)
    assert result.get_attribute("id") == "success-modal", result.text_content()
    assert f"Successfully created the student version of '{GENERATED}'" in result.text_content()

    assert notebook.stat().st_mtime_ns != written, "Generate did not write the release"
    after = tree_hashes(release)
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert changed == [], "Generate changed these files of release/"
    assert GENERATED in gradebook_assignments(course_lab.root)
