"""The MNIST loader: where it looks, in which order, what it returns and what it refuses."""

import gzip
import hashlib
import io
import os
import pickle
import re
import struct

import numpy as np
import pytest

from handnet.mnist import (
    MnistChecksumError,
    MnistFormatError,
    MnistNotFoundError,
    find_mnist,
    load_data,
    load_data_arrays,
    load_data_wrapper,
    mnist_cache_dir,
)
from handnet.mnist.download import CANONICAL_FILES, Checksum
from handnet.mnist.idx import write_idx
from handnet.mnist.loader import SplitLabels, _load_idx_folder, _load_pickle

TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = CANONICAL_FILES

# The label counts of the full MNIST, from ../shared/data/mnist/README.md.
FULL_TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
FULL_TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def book_splits(sizes=(100, 20, 30), seed=3):
    """Three (X float32 (n, 784) in [0, 1], y int64 (n,)) splits like the book's pickle."""
    rng = np.random.default_rng(seed)
    return tuple(
        (rng.random((n, 784), dtype=np.float32), np.arange(n, dtype=np.int64) % 10) for n in sizes
    )


def write_pickle(path, content):
    """Write ``content`` as a gzipped pickle of protocol 2, as Python 3 writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        pickle.dump(content, f, protocol=2)
    return path


class _Python2Pickler(pickle._Pickler):
    """Pickles bytes as Python 2 str (BINSTRING), as in the book's Python 2 pickle."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj):
        self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def write_python2_pickle(path, content):
    """Write ``content`` gzipped the way Python 2 and numpy 1 pickled it for the book:
    byte strings as str, the array reconstructor in numpy.core.multiarray."""
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(content)
    data = buffer.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    path.write_bytes(gzip.compress(data))
    return path


class _Exploit:
    """Unpickles into a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


# --- where the data comes from ------------------------------------------------------


def test_sources_are_tried_in_the_documented_order(isolated, small_mnist, monkeypatch):
    """With every source present, is the explicit path used first, then $HANDNET_MNIST,
    then a pickle in the default folders (even in ../data over IDX files in ./data), then
    IDX files there, then the cache, then the bundled subset?"""
    explicit = small_mnist.write(isolated.course / "explicit")
    from_env = write_pickle(isolated.course / "env" / "mnist.pkl.gz", book_splits())
    pickle_in_parent_data = write_pickle(isolated.parent_data / "mnist.pkl.gz", book_splits())
    small_mnist.write(isolated.data)
    small_mnist.write(isolated.cache)
    monkeypatch.setenv("HANDNET_MNIST", str(from_env.parent))

    assert find_mnist(explicit)[:2] == ("idx", explicit)
    assert find_mnist()[:2] == ("pickle", from_env)
    monkeypatch.delenv("HANDNET_MNIST")
    assert find_mnist()[:2] == ("pickle", pickle_in_parent_data)
    pickle_in_parent_data.unlink()
    assert find_mnist()[:2] == ("idx", isolated.data)
    for path in isolated.data.iterdir():
        path.unlink()
    assert find_mnist()[:2] == ("cache", isolated.cache)
    for path in isolated.cache.iterdir():
        path.unlink()
    assert find_mnist().kind == "subset"


@pytest.mark.parametrize("place", ["data", "parent_data", "cwd"])
def test_each_default_folder_is_searched(isolated, small_mnist, place):
    """Are ./data, ../data and the current directory each searched for IDX files?"""
    folder = small_mnist.write(getattr(isolated, place), gz=False)
    assert find_mnist()[:2] == ("idx", folder)


def test_download_is_chosen_only_when_asked(isolated, monkeypatch):
    """With nothing found, is downloading into the cache chosen only for download=True or
    HANDNET_MNIST_DOWNLOAD=1, and otherwise the subset?"""
    assert find_mnist().kind == "subset"
    assert find_mnist(download=True)[:2] == ("download", isolated.cache)
    monkeypatch.setenv("HANDNET_MNIST_DOWNLOAD", "1")
    assert find_mnist()[:2] == ("download", isolated.cache)


def test_cache_folder_follows_handnet_then_xdg_then_home(isolated, monkeypatch, tmp_path):
    """Is the cache $HANDNET_CACHE if set, else $XDG_CACHE_HOME/handnet/mnist, else
    ~/.cache/handnet/mnist?"""
    assert mnist_cache_dir() == isolated.cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist_cache_dir() == tmp_path / "xdg" / "handnet" / "mnist"
    monkeypatch.setenv("HANDNET_CACHE", str(tmp_path / "mine"))
    assert mnist_cache_dir() == tmp_path / "mine"


def test_subset_true_takes_the_subset_even_when_full_data_is_found(isolated, small_mnist):
    """Does subset=True ignore $HANDNET_MNIST and local files, and refuse a path beside it?"""
    small_mnist.write(isolated.data, gz=False)
    assert find_mnist().kind == "idx"
    assert find_mnist(subset=True).kind == "subset"
    X, y = load_data(subset=True, verbose=False)[0]
    assert len(y) == 10_000
    with pytest.raises(ValueError, match="subset"):
        find_mnist(isolated.data, subset=True)


def test_subset_is_used_when_nothing_else_is_found_and_says_so(isolated, capsys):
    """With no MNIST anywhere, do the loaders fall back to the bundled subset, print that
    they do with its size, and say how to get the full set?"""
    training, validation, test = load_data()
    assert (len(training[1]), len(validation[1]), len(test[1])) == (10_000, 2_000, 2_000)
    line = capsys.readouterr().out
    assert "bundled MNIST subset (10,000 training, 2,000 validation, 2,000 test images)" in line
    assert "HANDNET_MNIST=" in line and "download=True" in line


def test_loaders_print_one_line_naming_the_source_unless_quiet(isolated, small_mnist, capsys):
    """Does a loader print exactly one line naming what it loaded, and nothing with
    verbose=False?"""
    small_mnist.write(isolated.data)
    load_data()
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert f"IDX files in {isolated.data}" in out and "100 training, 20 validation" in out
    load_data(verbose=False)
    assert capsys.readouterr().out == ""


# --- what the loaders return -------------------------------------------------------------


def test_idx_files_give_the_books_split(isolated, small_mnist):
    """Are training = the first training images, validation = the last ones (n // 6 of
    them for a non-canonical set) and test = the test images, pixels uint8 / 255 as
    float32 (n, 784) and labels int64?"""
    small_mnist.write(isolated.data)
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = load_data(verbose=False)
    images = small_mnist.arrays[TRAIN_IMAGES].reshape(120, 784)
    labels = small_mnist.arrays[TRAIN_LABELS]
    for X, y, n in ((X_train, y_train, 100), (X_val, y_val, 20), (X_test, y_test, 30)):
        assert X.shape == (n, 784) and X.dtype == np.float32 and X.flags.c_contiguous
        assert y.shape == (n,) and y.dtype == np.int64
    np.testing.assert_array_equal(X_train, images[:100] / np.float32(255))
    np.testing.assert_array_equal(X_val, images[100:] / np.float32(255))
    np.testing.assert_array_equal(y_train, labels[:100])
    np.testing.assert_array_equal(y_val, labels[100:])
    np.testing.assert_array_equal(y_test, small_mnist.arrays[TEST_LABELS])
    assert X_train.min() == 0.0 and X_train.max() == 1.0


def test_validation_size_is_a_parameter_of_the_internal_loader(tmp_path, small_mnist):
    """Does the internal loader hold out the validation size it is given?"""
    folder = small_mnist.write(tmp_path)
    training, validation, test = _load_idx_folder(folder, validation_size=30)
    assert (len(training[1]), len(validation[1]), len(test[1])) == (90, 30, 30)


def test_load_data_wrapper_gives_the_books_lists(isolated, small_mnist):
    """Does load_data_wrapper return real lists: training (x (784, 1) float32, one-hot
    (10, 1) float64) pairs, validation and test (x (784, 1), int label) pairs?"""
    small_mnist.write(isolated.data)
    training, validation, test = load_data_wrapper(verbose=False)
    (X, y), _, _ = load_data(verbose=False)
    assert type(training) is list and type(validation) is list and type(test) is list
    assert (len(training), len(validation), len(test)) == (100, 20, 30)
    x, one_hot = training[7]
    assert x.shape == (784, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:, 0], X[7])
    assert one_hot.shape == (10, 1) and one_hot.dtype == np.float64
    assert one_hot[y[7], 0] == 1.0 and one_hot.sum() == 1.0
    for x, label in validation + test:
        assert x.shape == (784, 1) and x.dtype == np.float32
        assert type(label) is int


def test_loader_does_not_give_away_vectorized_result():
    """Is assignment 2's exercise vectorized_result kept out of the student package?"""
    import handnet.mnist
    import handnet.mnist.loader

    assert not hasattr(handnet.mnist, "vectorized_result")
    assert not hasattr(handnet.mnist.loader, "vectorized_result")


def test_load_data_arrays_gives_columns(isolated, small_mnist):
    """Does load_data_arrays give each split as X (784, n) float32 whose transpose is
    C-contiguous, y int64 (n,), plus the source it came from?"""
    small_mnist.write(isolated.data)
    arrays = load_data_arrays(verbose=False)
    (X_rows, _), _, _ = load_data(verbose=False)
    for (X, y), n in zip((arrays.training, arrays.validation, arrays.test), (100, 20, 30)):
        assert X.shape == (784, n) and X.dtype == np.float32 and X.T.flags.c_contiguous
        assert y.shape == (n,) and y.dtype == np.int64
    np.testing.assert_array_equal(arrays.training[0], X_rows.T)
    assert arrays.source.kind == "idx" and arrays.source.location == isolated.data
    assert arrays.source.full is False  # 120 + 30 images are not the full MNIST


def test_pickle_loads_as_stored(isolated):
    """Does the book's pickle (protocol 2) load with its splits, pixels and labels as
    stored, in the loaders' dtypes?"""
    splits = book_splits()
    write_pickle(isolated.data / "mnist.pkl.gz", splits)
    for (X, y), (X_stored, y_stored) in zip(load_data(verbose=False), splits):
        assert X.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_array_equal(X, X_stored)
        np.testing.assert_array_equal(y, y_stored)


def test_python2_pickle_loads(tmp_path):
    """Does a pickle written the way Python 2 and numpy 1 wrote the book's file (byte
    strings, numpy.core module names) load?"""
    splits = book_splits()
    path = write_python2_pickle(tmp_path / "mnist.pkl.gz", splits)
    for (X, y), (X_stored, y_stored) in zip(load_data(path, verbose=False), splits):
        np.testing.assert_array_equal(X, X_stored)
        np.testing.assert_array_equal(y, y_stored)


# --- what the loaders refuse -------------------------------------------------------------


def test_checksum_mismatch_is_refused(tmp_path, small_mnist):
    """Is a file of its table size whose SHA-256 differs refused, naming the file and
    the expected and actual digests?"""
    folder = small_mnist.write(tmp_path)
    checksums = small_mnist.checksums()
    good = checksums[TRAIN_LABELS]
    checksums[TRAIN_LABELS] = Checksum(good.size, "0" * 64)
    with pytest.raises(MnistChecksumError) as error:
        _load_idx_folder(folder, checksums=checksums)
    message = str(error.value)
    assert f"{TRAIN_LABELS}.gz" in message and "0" * 64 in message and good.sha256 in message
    assert _load_idx_folder(folder, checksums=small_mnist.checksums())  # the true table passes


def test_canonical_sized_file_with_wrong_content_is_refused(tmp_path, small_mnist):
    """Does the public loader check a file of the canonical MNIST size (here 10,000 test
    labels) against the canonical SHA-256?"""
    folder = small_mnist.write(tmp_path, leave_out=[TEST_LABELS])
    write_idx(folder / TEST_LABELS, np.arange(10_000, dtype=np.int64).astype(np.uint8) % 10)
    with pytest.raises(MnistChecksumError, match=CANONICAL_FILES[TEST_LABELS].sha256):
        load_data(folder, verbose=False)


def test_missing_idx_file_is_named(tmp_path, small_mnist):
    """Given a folder with 3 of the 4 IDX files, does the error name the missing one
    (and only it)?"""
    folder = small_mnist.write(tmp_path, leave_out=[TEST_IMAGES])
    with pytest.raises(MnistNotFoundError, match=f"missing {TEST_IMAGES}") as error:
        load_data(folder, verbose=False)
    assert TRAIN_IMAGES not in str(error.value)


@pytest.mark.parametrize("via_environment", [False, True], ids=["argument", "HANDNET_MNIST"])
def test_explicit_location_that_does_not_exist_is_an_error(
    isolated, small_mnist, monkeypatch, via_environment
):
    """Does a path given explicitly, as argument or in $HANDNET_MNIST, that does not exist
    raise an error saying where it looked, rather than fall back to another source?"""
    small_mnist.write(isolated.data)  # a usable fallback that must not be used
    where = isolated.course / "nowhere"
    if via_environment:
        monkeypatch.setenv("HANDNET_MNIST", str(where))
    with pytest.raises(MnistNotFoundError, match="does not exist") as error:
        load_data(None if via_environment else where, verbose=False)
    assert str(where) in str(error.value)
    assert ("$HANDNET_MNIST" if via_environment else "path argument") in str(error.value)


def test_explicit_folder_without_mnist_is_an_error(tmp_path):
    """Does an explicit folder holding no MNIST file say what it looked for?"""
    with pytest.raises(MnistNotFoundError, match="mnist.pkl.gz") as error:
        find_mnist(tmp_path)
    assert TRAIN_IMAGES in str(error.value) and str(tmp_path) in str(error.value)


def test_idx_images_and_labels_must_agree(tmp_path, small_mnist):
    """Are training images and labels of different counts refused, naming both files?"""
    folder = small_mnist.write(tmp_path, leave_out=[TRAIN_LABELS])
    write_idx(folder / TRAIN_LABELS, small_mnist.arrays[TRAIN_LABELS][:-1])
    with pytest.raises(MnistFormatError, match="120 images but .* holds 119 labels"):
        load_data(folder, verbose=False)


def test_malicious_pickle_is_refused_without_running(tmp_path):
    """Is a pickle that would run a shell command refused with a clear error, and the
    command never run?"""
    marker = tmp_path / "pwned"
    path = write_pickle(tmp_path / "mnist.pkl.gz", (_Exploit(marker),))
    with pytest.raises(MnistFormatError, match="refused to unpickle .*system"):
        load_data(path, verbose=False)
    assert not marker.exists()


@pytest.mark.parametrize(
    "content, problem",
    [
        (book_splits()[:2], "tuple of 3 splits"),
        ((book_splits()[0], book_splits()[1], (np.zeros((3, 784), np.float32),)), "pair of arrays"),
        (
            (*book_splits()[:2], (np.zeros((3, 28, 28), np.float32), np.zeros(3, np.int64))),
            r"shape \(n, 784\)",
        ),
        (
            (*book_splits()[:2], (np.full((3, 784), 2, np.float32), np.zeros(3, np.int64))),
            r"in \[0, 1\]",
        ),
        (
            (*book_splits()[:2], (np.zeros((3, 784), np.float32), np.array([0, 1, 12]))),
            "digits 0..9",
        ),
    ],
    ids=["two splits", "not a pair", "images 28x28", "pixels above 1", "label 12"],
)
def test_pickle_of_the_wrong_structure_is_refused(tmp_path, content, problem):
    """Is a pickle that is not three (X (n, 784) in [0, 1], labels 0..9) splits refused,
    saying what is wrong?"""
    path = write_pickle(tmp_path / "mnist.pkl.gz", content)
    with pytest.raises(MnistFormatError, match=problem):
        load_data(path, verbose=False)


def test_pickle_labels_are_compared_with_mnist_for_splits_of_the_books_size(tmp_path):
    """Is a split of the book's size whose labels differ from MNIST's refused, naming the
    split and both digests?"""
    splits = book_splits()
    path = write_pickle(tmp_path / "mnist.pkl.gz", splits)
    true_digest = hashlib.sha256(splits[1][1].astype(np.uint8).tobytes()).hexdigest()
    table = (
        SplitLabels(100, hashlib.sha256(splits[0][1].astype(np.uint8).tobytes()).hexdigest()),
        SplitLabels(20, "f" * 64),
        SplitLabels(999, "not compared: the size differs"),
    )
    with pytest.raises(MnistChecksumError, match="validation labels") as error:
        _load_pickle(path, label_checksums=table)
    assert "f" * 64 in str(error.value) and true_digest in str(error.value)


def test_truncated_pickle_is_refused(tmp_path):
    """Is a pickle whose gzip stream is cut short refused as a format error?"""
    path = write_pickle(tmp_path / "mnist.pkl.gz", book_splits())
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(MnistFormatError, match=re.escape(str(path))):
        load_data(path, verbose=False)


# --- the full data ------------------------------------------------------------------------


def test_full_mnist_gives_the_books_split_and_label_counts(full_mnist_dir):
    """Does the full MNIST load as 50,000 / 10,000 / 10,000 images with MNIST's label
    counts, verified against the canonical checksums?"""
    arrays = load_data_arrays(full_mnist_dir, verbose=False)
    (X, y_train), (_, y_val), (_, y_test) = arrays.training, arrays.validation, arrays.test
    assert (len(y_train), len(y_val), len(y_test)) == (50_000, 10_000, 10_000)
    assert X.shape == (784, 50_000) and X.T.flags.c_contiguous
    assert np.bincount(np.concatenate([y_train, y_val])).tolist() == FULL_TRAIN_LABEL_COUNTS
    assert np.bincount(y_test).tolist() == FULL_TEST_LABEL_COUNTS
    assert arrays.source.kind == "idx" and arrays.source.full is True
