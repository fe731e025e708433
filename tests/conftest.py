"""Shared fixtures: where the full MNIST lives beside the checkout."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FULL_MNIST = REPO.parent / "shared" / "data" / "mnist"


@pytest.fixture
def full_mnist_dir():
    """The folder of the full MNIST IDX files; skips the test (saying why) where it is absent."""
    if not (FULL_MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(
            f"full MNIST not found at {FULL_MNIST} (only CI and developer machines have it)"
        )
    return FULL_MNIST


# The heavy tests (the Makefile's HEAVY_TESTS) run on two pytest-xdist workers in two
# groups (`--dist loadgroup`): those that keep both cores busy grading a class, one after
# the other on one worker, and the rest, which mostly wait on servers, browsers, accounts
# and small runs, on the other. Without `--dist loadgroup` the marks change nothing.
HEAVY = ("course", "student", "browser")
GRADING_A_CLASS = {
    "test_grading_contract.py",
    "test_attacks.py",
    "test_writer_matches_autograde.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = item.path.relative_to(REPO).parts
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in HEAVY:
            group = "grading" if item.path.name in GRADING_A_CLASS else "waiting"
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "student_env: builds .venv-student with `make student-env` "
        "(about 40 s the first time); deselect with -m 'not student_env'",
    )
