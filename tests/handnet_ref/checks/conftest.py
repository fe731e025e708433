"""The hidden checks draw their inputs at random (a new seed each grading run); their
tests fix the seed, so that a failure here is the same on every run."""

import pytest

SEED = 7  # the messages the tests expect name it: "(check seed 7)"


@pytest.fixture(autouse=True)
def fixed_seed(monkeypatch):
    """Every check of the test draws from ``SEED`` (``$HANDNET_CHECK_SEED``)."""
    monkeypatch.setenv("HANDNET_CHECK_SEED", str(SEED))
