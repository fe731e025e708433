"""Every exercise in a release opens its recipe only on request: the markdown cell right
after each solution cell that defines a function holds the hints, collapsed, one
``<details>`` block per level ("Hint", then "Another hint"), each with its summary line.
Multiple-choice answers (a solution cell that only sets a variable) need none. What the
hints may not say (a solution line) is tests/course/test_release_hints.py's job."""

import re

import nbformat
import pytest
from course_files import notebooks

RELEASE_NOTEBOOKS = notebooks("release")
DETAILS = re.compile(r"<details>\s*<summary>(.*?)</summary>(.*?)</details>", re.DOTALL)
DEFINES = re.compile(r"^def ", re.MULTILINE)
LEVELS = ["Hint", "Another hint", "A last hint"]


def exercises_and_hints(path):
    """[(grade_id of a solution cell that defines a function, the markdown after it or
    None)] in notebook order."""
    cells = nbformat.read(str(path), as_version=4).cells
    found = []
    for cell, following in zip(cells, cells[1:] + [None]):
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution") or meta.get("grade") or not DEFINES.search(cell.source):
            continue
        is_markdown = following is not None and following.cell_type == "markdown"
        found.append((meta["grade_id"], following.source if is_markdown else None))
    return found


def hint_problems(markdown):
    """What is wrong with a hint cell's markdown, as sentences (none when it is right)."""
    if markdown is None:
        return ["no markdown cell follows the exercise"]
    blocks = DETAILS.findall(markdown)
    if not blocks:
        return ["the markdown after the exercise holds no <details><summary>... block"]
    if markdown.count("<details>") != len(blocks):
        return ["a <details> block lacks its <summary> or its closing tag"]
    problems = []
    titles = [title.strip() for title, _ in blocks]
    if titles != LEVELS[: len(titles)]:
        problems.append(f"the hints are titled {titles}, not {LEVELS[: len(titles)]}")
    problems += [
        f"the block {title.strip()!r} is empty" for title, body in blocks if not body.strip()
    ]
    return problems


@pytest.mark.parametrize(
    "assignment, path", RELEASE_NOTEBOOKS, ids=[a for a, _ in RELEASE_NOTEBOOKS]
)
def test_every_exercise_is_followed_by_collapsed_hints(assignment, path):
    """Does each exercise that asks for a function have its hints right below it, collapsed
    and titled level by level?"""
    exercises = exercises_and_hints(path)
    assert exercises, f"{path.name}: no exercise found (the scan would prove nothing)"
    problems = {gid: hint_problems(markdown) for gid, markdown in exercises}
    assert {gid: p for gid, p in problems.items() if p} == {}


@pytest.mark.parametrize(
    "markdown, problem",
    [
        (None, "no markdown cell follows"),
        ("Think about it.", "holds no <details>"),
        ("<details><summary>Hint</summary>\n\nUse a loop.\n", "holds no <details>"),
        ("<details><summary>Another hint</summary>\n\nUse a loop.\n</details>", "titled"),
        ("<details><summary>Hint</summary>\n\n</details>", "is empty"),
        (
            "<details><summary>Hint</summary>a</details>\n<details>b</details>",
            "lacks its <summary>",
        ),
    ],
    ids=["missing", "plain-text", "unclosed", "second-level-first", "empty", "no-summary"],
)
def test_a_broken_hint_cell_is_reported(markdown, problem):
    """Is each way a hint cell can go wrong caught, so that the test above can fail?"""
    assert any(problem in p for p in hint_problems(markdown))


def test_a_well_formed_two_level_hint_passes():
    """Are two titled, non-empty levels accepted?"""
    markdown = (
        "<details><summary>Hint</summary>\n\nA first nudge.\n\n</details>\n\n"
        "<details><summary>Another hint</summary>\n\nA second one.\n\n</details>"
    )
    assert hint_problems(markdown) == []
