"""The MNIST subset bundled with handnet: present, intact, documented, reproducible."""

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from handnet.mnist import MnistChecksumError
from handnet.mnist.loader import SUBSET_CHECKSUM, SUBSET_FILE, _load_subset

REPO = Path(__file__).resolve().parents[3]  # tests/handnet/mnist/ -> the repository
MANIFEST = SUBSET_FILE.with_name("MNIST-SUBSET.md")
BUILD_SCRIPT = REPO / "scripts" / "build_mnist_subset.py"


def manifest_row(name):
    """The (bytes, SHA-256) that MNIST-SUBSET.md's checksum table gives for ``name``."""
    match = re.search(
        rf"^\| `{re.escape(name)}` \| ([\d,]+) \| `([0-9a-f]{{64}})` \|$",
        MANIFEST.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert match, f"no checksum row for {name} in {MANIFEST}"
    return int(match[1].replace(",", "")), match[2]


def test_subset_has_the_documented_sizes():
    """Does the bundled subset load as 10,000 training, 2,000 validation and 2,000 test
    images, as float32 rows in [0, 1] and int64 digit labels?"""
    splits = _load_subset()
    assert [len(y) for _, y in splits] == [10_000, 2_000, 2_000]
    for X, y in splits:
        assert X.shape == (len(y), 784) and X.dtype == np.float32
        assert 0.0 <= X.min() and X.max() <= 1.0
        assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))


def test_subset_checksum_matches_the_manifest_and_the_loader():
    """Do the subset file's size and SHA-256 equal those in MNIST-SUBSET.md and in the
    loader's SUBSET_CHECKSUM?"""
    data = SUBSET_FILE.read_bytes()
    actual = (len(data), hashlib.sha256(data).hexdigest())
    assert manifest_row(SUBSET_FILE.name) == actual
    assert tuple(SUBSET_CHECKSUM) == actual


def test_manifest_gives_the_licence_and_authors():
    """Does MNIST-SUBSET.md credit Yann LeCun and Corinna Cortes and name CC BY-SA 3.0?"""
    text = MANIFEST.read_text(encoding="utf-8")
    assert "Yann LeCun" in text and "Corinna Cortes" in text and "CC BY-SA 3.0" in text


def test_damaged_subset_is_refused(tmp_path):
    """Is a copy of the subset with one byte changed refused with both digests?"""
    copy = tmp_path / SUBSET_FILE.name
    shutil.copyfile(SUBSET_FILE, copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(MnistChecksumError, match=SUBSET_CHECKSUM.sha256) as error:
        _load_subset(copy)
    assert hashlib.sha256(data).hexdigest() in str(error.value)


def test_rebuilding_gives_identical_files(full_mnist_dir, tmp_path):
    """Does the build script, run on the full MNIST, reproduce the bundled subset and its
    manifest byte for byte?"""
    subprocess.run(
        [
            sys.executable,
            str(BUILD_SCRIPT),
            "--source",
            str(full_mnist_dir),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / SUBSET_FILE.name).read_bytes() == SUBSET_FILE.read_bytes()
    assert (tmp_path / MANIFEST.name).read_bytes() == MANIFEST.read_bytes()
