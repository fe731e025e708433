"""Fixtures of the data tests: a small generated MNIST-like set, and an environment in
which no MNIST can be found but what a test puts there."""

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from handnet.mnist.download import CANONICAL_FILES, Checksum
from handnet.mnist.idx import idx_bytes, write_idx

TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = CANONICAL_FILES


class SmallMnist:
    """120 training and 30 test images of random pixels, labels covering every digit."""

    n_train = 120
    n_test = 30

    def __init__(self, seed=7):
        rng = np.random.default_rng(seed)
        self.arrays = {
            TRAIN_IMAGES: rng.integers(0, 256, (self.n_train, 28, 28), dtype=np.uint8),
            TRAIN_LABELS: rng.permutation(np.arange(self.n_train) % 10).astype(np.uint8),
            TEST_IMAGES: rng.integers(0, 256, (self.n_test, 28, 28), dtype=np.uint8),
            TEST_LABELS: rng.permutation(np.arange(self.n_test) % 10).astype(np.uint8),
        }
        self.raw = {name: idx_bytes(array) for name, array in self.arrays.items()}

    def checksums(self):
        """The Checksum table of these four files, as the loader and downloader take it."""
        return {
            name: Checksum(len(data), hashlib.sha256(data).hexdigest())
            for name, data in self.raw.items()
        }

    def gzipped(self):
        """{"<name>.gz": gzip bytes} of the four files, as a mirror serves them."""
        return {f"{name}.gz": gzip.compress(data, mtime=0) for name, data in self.raw.items()}

    def write(self, folder, *, gz=True, leave_out=()):
        """Write the IDX files (gzipped or raw) into ``folder``, except ``leave_out``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in self.arrays.items():
            if name not in leave_out:
                write_idx(folder / (f"{name}.gz" if gz else name), array)
        return folder


@pytest.fixture
def small_mnist():
    """A SmallMnist: 120 training and 30 test images, in memory until written."""
    return SmallMnist()


class Places:
    """The folders of an isolated course: cwd = course/notebooks, so ./data is
    course/notebooks/data and ../data is course/data; home is HOME."""

    def __init__(self, root):
        self.course = root / "course"
        self.cwd = self.course / "notebooks"
        self.home = root / "home"
        self.cwd.mkdir(parents=True)
        self.home.mkdir()

    @property
    def data(self):
        """./data from the current directory."""
        return self.cwd / "data"

    @property
    def parent_data(self):
        """../data from the current directory."""
        return self.course / "data"

    @property
    def cache(self):
        """The default per-user cache under HOME."""
        return self.home / ".cache" / "handnet" / "mnist"


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Places of a fresh course, made the current directory, with HOME in it and no
    HANDNET_* or XDG_CACHE_HOME variables: nothing is found but the bundled subset."""
    places = Places(tmp_path)
    monkeypatch.chdir(places.cwd)
    for variable in ("HANDNET_MNIST", "HANDNET_CACHE", "HANDNET_MNIST_DOWNLOAD", "XDG_CACHE_HOME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(places.home))
    return places
