"""The hints below an exercise, as a student sees them in JupyterLab: collapsed until the
student asks, one level at a time. Rendered from a copy of the release of assignment 3,
whose backprop has two levels (the second a table), by the course's JupyterLab
(JupyterLab 4.6.6 in both environments, the instructor's and the students')."""

import os
import shutil

from labpage import cell, notebook_cells, open_notebook
from labserver import REPO, clean_env, make_home, path_without_venvs

ASSIGNMENT = "03_backprop"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
RELEASE = REPO / "release" / NOTEBOOK
JUPYTER = REPO / ".venv" / "bin" / "jupyter"


def hint_cells():
    """{cell index: markdown} of the hint cells in the release (cells holding <details>)."""
    return {
        i: c["source"]
        for i, c in enumerate(notebook_cells(RELEASE))
        if c["cell_type"] == "markdown" and "<details>" in c["source"]
    }


def test_hints_render_collapsed_and_open_one_level_at_a_time(page, jupyter_lab, tmp_path):
    """Does every hint cell render as closed <details> showing only its summary, and does
    a click on the first summary open that level alone (the backprop plan shows, the index
    table of the second level stays hidden)?"""
    root, home = tmp_path / "student", make_home(tmp_path / "home")
    shutil.copytree(RELEASE.parent, root / ASSIGNMENT)
    env = clean_env(home, str(JUPYTER.parent) + os.pathsep + path_without_venvs())
    open_notebook(page, jupyter_lab(JUPYTER, root, env), NOTEBOOK)
    expected = hint_cells()
    assert len(expected) >= 4, "too few hint cells in the release to prove anything"

    for index, markdown in expected.items():  # scrolled to, as JupyterLab renders lazily
        hint = cell(page, index)
        hint.scroll_into_view_if_needed()
        details = hint.locator(".jp-RenderedMarkdown details")
        details.first.wait_for()
        levels = ["Hint", "Another hint"][: markdown.count("<details>")]
        assert [one.locator("summary").text_content().strip() for one in details.all()] == levels, (
            f"cell {index}"
        )
        assert not any(one.evaluate("d => d.open") for one in details.all()), f"cell {index}"

    backprop = page.locator(".jp-Notebook .jp-MarkdownCell").filter(
        has_text="Three steps, in this order"
    )
    first, second = backprop.locator("details").nth(0), backprop.locator("details").nth(1)
    first.scroll_into_view_if_needed()
    assert not first.get_by_text("Forward pass").is_visible()
    first.locator("summary").click()
    assert first.evaluate("d => d.open") and first.get_by_text("Forward pass").is_visible()
    assert not second.evaluate("d => d.open")
    assert not second.locator("table").is_visible()
    second.locator("summary").click()
    assert second.locator("table").is_visible()
    assert second.locator("table tr").count() == 7  # the header and six rows of indices
