"""The course's files, for the course tests."""

from pathlib import Path

from handnet.course.layout import assignments

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = assignments(ROOT)


def notebooks(folder):
    """(assignment, path) of every notebook under folder/<assignment>/."""
    return [(a, nb) for a in ASSIGNMENTS for nb in sorted((ROOT / folder / a).glob("*.ipynb"))]
