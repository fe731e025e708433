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


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "student_env: builds .venv-student with `make student-env` "
        "(about 40 s the first time); deselect with -m 'not student_env'",
    )
