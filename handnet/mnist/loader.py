"""Load MNIST in the book's split, from wherever it is found.

Where the data comes from; the first that applies wins:

1. An explicit ``path`` argument, else the ``HANDNET_MNIST`` environment variable: the
   book's ``mnist.pkl.gz`` (a file of any name), or a folder holding ``mnist.pkl.gz`` or
   the four IDX files (each gzipped ``<name>.gz`` or raw ``<name>``). If that location is
   unusable, an error says why: there is no silent fallback to another source.
2. The book's ``mnist.pkl.gz`` in the default folders ``./data``, ``../data`` (relative to
   the current directory: the book's layout) and the current directory itself.
3. The four original IDX files (gz or raw) together in one of those same folders.
4. The per-user cache, when it holds the four IDX files: ``$HANDNET_CACHE`` if set, else
   ``$XDG_CACHE_HOME/handnet/mnist``, else ``~/.cache/handnet/mnist``.
5. Only if ``download=True`` or ``HANDNET_MNIST_DOWNLOAD=1``: the four IDX files
   downloaded into that cache, verified, then loaded. Nothing is downloaded otherwise.
6. The subset bundled with this package (10,000 training, 2,000 validation and 2,000 test
   images), which is always there.

The split is the book's: training = the first 50,000 training images, validation = the
last 10,000 training images, test = the 10,000 test images. Images are float32 rows of 784
pixels in [0, 1], labels int64.

What is checked:

- IDX files: magic number, dimensions, exact length, intact gzip. A file of the canonical
  MNIST size must also have the canonical SHA-256. IDX files of other sizes (your own
  small set, say) are loaded as they are, with nothing to compare their checksums with,
  and validation = the last min(10,000, n // 6) of their n training images. Pixels are
  uint8 / 255.
- The pickle: it is read by an unpickler that builds numpy arrays and nothing else, so a
  malicious file cannot run code; then its structure (three (X, y) splits, X of shape
  (n, 784) in [0, 1], labels 0..9) is checked and, for a split of the book's size, the
  SHA-256 of its labels is compared with MNIST's. Pixels are kept as the file has them.
- The bundled subset: its SHA-256.

(Over 300 lines: one job, finding MNIST and reading it into the book's split, whose three
sources (IDX files, the pickle, the subset) share the split, the label checks and the
error messages; this docstring is the specification of the order and of the checks.)
"""

import codecs
import hashlib
import io
import os
import pickle
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .download import CANONICAL_FILES, Checksum, download_mnist, verify_content
from .errors import (
    MnistChecksumError,
    MnistDownloadError,
    MnistError,
    MnistFormatError,
    MnistNotFoundError,
)
from .idx import open_maybe_gzip, parse_idx, read_bytes

__all__ = [
    "MnistArrays",
    "MnistChecksumError",
    "MnistDownloadError",
    "MnistError",
    "MnistFormatError",
    "MnistNotFoundError",
    "MnistSource",
    "find_mnist",
    "load_data",
    "load_data_arrays",
    "load_data_wrapper",
    "mnist_cache_dir",
]

TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = CANONICAL_FILES
IDX_DIMENSIONS = {TRAIN_IMAGES: 3, TRAIN_LABELS: 1, TEST_IMAGES: 3, TEST_LABELS: 1}
PICKLE_NAME = "mnist.pkl.gz"
DEFAULT_FOLDERS = ("data", "../data", ".")
SPLITS = ("training", "validation", "test")
IMAGE_SIDE = 28
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE
VALIDATION_SIZE = 10_000

SUBSET_FILE = Path(__file__).with_name("mnist-subset.npz")
SUBSET_CHECKSUM = Checksum(
    2_262_443, "b25404f1eb62046e7586e47d5c0f1cadafcf14919833629d3160864fac7a691b"
)
SUBSET_HINT = "For the full set, set HANDNET_MNIST=/path/to/mnist or call load_data(download=True)."


class SplitLabels(NamedTuple):
    """A split's size in the book and the SHA-256 of its labels as uint8 bytes."""

    count: int
    sha256: str


# The labels of the book's three splits, from the canonical IDX label files: training
# labels 0-49,999, training labels 50,000-59,999, test labels.
BOOK_LABELS = (
    SplitLabels(50_000, "6072d13d0c3b831e9e4dc3ba693426579504082fc45c186db0f74c0a3092638d"),
    SplitLabels(10_000, "f46875b7c22368a38a50c5c7639c3842341b81fe4d628c55fa1818e21e96ab3b"),
    SplitLabels(10_000, "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"),
)
BOOK_COUNTS = tuple(split.count for split in BOOK_LABELS)


class MnistSource(NamedTuple):
    """What would be loaded.

    kind: "pickle", "idx", "cache", "download" or "subset".
    location: the pickle file, the folder of IDX files (the cache folder for "cache" and
        "download") or the bundled subset file.
    full: whether this is the whole MNIST. From ``find_mnist``, a claim (False only for
        the subset); in ``load_data_arrays(...).source``, the fact: the loaded splits have
        the book's 50,000 / 10,000 / 10,000 images.
    description: the source in words, e.g. "the MNIST IDX files in /home/me/data".
    """

    kind: str
    location: Path
    full: bool
    description: str


class MnistArrays(NamedTuple):
    """MNIST as arrays in the course's column convention.

    training, validation, test: each (X, y), X float32 of shape (784, n), one example per
    column (the transpose of a C-contiguous (n, 784) array, so ``X.T`` is free), and y the
    int64 labels of shape (n,). source: the MnistSource they came from.
    """

    training: tuple
    validation: tuple
    test: tuple
    source: MnistSource


SUBSET_SOURCE = MnistSource("subset", SUBSET_FILE, False, "the bundled MNIST subset")


def load_data(path=None, *, download=False, subset=False, verbose=True):
    """MNIST as (training_data, validation_data, test_data), found as ``find_mnist`` says.

    Each is a tuple (X, y): X float32 of shape (n, 784) with pixels in [0, 1], y int64 of
    shape (n,). With ``verbose``, prints one line saying which data is used.
    """
    splits, _ = _load(path, download, subset, verbose)
    return splits


def load_data_wrapper(path=None, *, download=False, subset=False, verbose=True):
    """MNIST as the book's network code wants it: three lists.

    training_data: (x, y) pairs, x float32 (784, 1) and y the one-hot float64 (10, 1).
    validation_data, test_data: (x, label) pairs, x float32 (784, 1) and label an int.
    """
    (training, validation, test), _ = _load(path, download, subset, verbose)
    X, y = training
    # one-hot targets, all at once; each pair gets its own (10, 1) column
    targets = np.eye(10)[y][:, :, np.newaxis]
    training_data = [(x.reshape(IMAGE_PIXELS, 1), t) for x, t in zip(X, targets)]
    return (training_data, _column_pairs(validation), _column_pairs(test))


def load_data_arrays(path=None, *, download=False, subset=False, verbose=True):
    """MNIST as an MnistArrays: per split (X, y), X of shape (784, n), y of shape (n,)."""
    (training, validation, test), source = _load(path, download, subset, verbose)
    return MnistArrays(*((X.T, y) for X, y in (training, validation, test)), source=source)


def find_mnist(path=None, *, download=False, subset=False):
    """The MnistSource that the loaders would use, following the order in the module
    docstring, without loading anything. ``subset=True`` asks for the bundled subset
    whatever else exists (fast and the same everywhere: notebooks use it while graded).

    Raises MnistNotFoundError if an explicit ``path`` (or ``$HANDNET_MNIST``) is unusable.
    """
    if subset:
        if path is not None:
            raise ValueError("give either a path or subset=True, not both")
        return SUBSET_SOURCE
    if path is not None:
        return _explicit_source(Path(path), "the path argument")
    if os.environ.get("HANDNET_MNIST"):
        return _explicit_source(Path(os.environ["HANDNET_MNIST"]), "$HANDNET_MNIST")
    folders = [(Path.cwd() / folder).resolve() for folder in DEFAULT_FOLDERS]
    for folder in folders:
        if (folder / PICKLE_NAME).is_file():
            return _pickle_source(folder / PICKLE_NAME)
    for folder in folders:
        if None not in _idx_paths(folder).values():
            return _idx_source(folder)
    cache = mnist_cache_dir()
    if None not in _idx_paths(cache).values():
        return MnistSource("cache", cache, True, f"the MNIST IDX files in the cache {cache}")
    if download or os.environ.get("HANDNET_MNIST_DOWNLOAD", "").lower() in {"1", "true", "yes"}:
        return MnistSource("download", cache, True, f"MNIST downloaded into the cache {cache}")
    return SUBSET_SOURCE


def mnist_cache_dir():
    """The per-user MNIST cache folder: $HANDNET_CACHE, else
    $XDG_CACHE_HOME/handnet/mnist, else ~/.cache/handnet/mnist. It may not exist yet."""
    if os.environ.get("HANDNET_CACHE"):
        return Path(os.environ["HANDNET_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "handnet" / "mnist"


# --- finding ---------------------------------------------------------------------------


def _pickle_source(path):
    return MnistSource("pickle", path, True, f"the book's pickle {path}")


def _idx_source(folder):
    return MnistSource("idx", folder, True, f"the MNIST IDX files in {folder}")


def _explicit_source(location, origin):
    """The source at a location the user gave (``origin`` says how), or an error."""
    location = location.expanduser().resolve()
    if location.is_file():
        return _pickle_source(location)
    if not location.is_dir():
        raise MnistNotFoundError(
            f"MNIST not found: {location} (given by {origin}) does not exist. Give the "
            f"book's {PICKLE_NAME}, or a folder holding it or the four IDX files "
            f"{', '.join(CANONICAL_FILES)} (each .gz or raw)."
        )
    if (location / PICKLE_NAME).is_file():
        return _pickle_source(location / PICKLE_NAME)
    _require_idx_files(location, f" (given by {origin})")
    return _idx_source(location)


def _idx_paths(folder):
    """Map each IDX file name to its raw or gzipped file in ``folder``, or None if absent."""
    return {
        name: next((p for p in (folder / name, folder / f"{name}.gz") if p.is_file()), None)
        for name in CANONICAL_FILES
    }


def _require_idx_files(folder, origin=""):
    """The paths of the four IDX files in ``folder``; MnistNotFoundError names any missing."""
    paths = _idx_paths(folder)
    missing = [name for name, p in paths.items() if p is None]
    if len(missing) == len(paths):
        raise MnistNotFoundError(
            f"MNIST not found in {folder}{origin}: it holds neither {PICKLE_NAME} nor any "
            f"of the IDX files {', '.join(paths)} (looked for each raw and as .gz). "
            "Point to the folder that holds them."
        )
    if missing:
        raise MnistNotFoundError(
            f"MNIST incomplete in {folder}{origin}: missing "
            f"{', '.join(f'{name} (or {name}.gz)' for name in missing)}. Put all four IDX "
            "files there, or leave this location out and call load_data(download=True), "
            "which fetches them into the per-user cache."
        )
    return paths


# --- loading ---------------------------------------------------------------------------


def _load(path, download, subset, verbose):
    """((training, validation, test), source) for the loaders: float32 (n, 784) rows."""
    source = find_mnist(path, download=download, subset=subset)
    if source.kind == "download":
        download_mnist(source.location, verbose=verbose)
    if source.kind == "pickle":
        splits = _load_pickle(source.location)
    elif source.kind == "subset":
        splits = _load_subset(source.location)
    else:
        splits = _load_idx_folder(source.location)
    counts = tuple(len(y) for _, y in splits)
    source = source._replace(full=counts == BOOK_COUNTS)
    if verbose:
        sizes = f"{counts[0]:,} training, {counts[1]:,} validation, {counts[2]:,} test images"
        hint = f" {SUBSET_HINT}" if source.kind == "subset" else ""
        print(f"HandNet: using {source.description} ({sizes}).{hint}")
    return splits, source


def _column_pairs(split):
    """[(x (784, 1), label int), ...] for the split (X (n, 784), y (n,))."""
    X, y = split
    return [(x.reshape(IMAGE_PIXELS, 1), label) for x, label in zip(X, y.tolist())]


def _to_float_splits(pairs):
    """Three (images uint8 (n, 784), labels (n,)) -> (X float32 = images / 255, y int64)."""
    return tuple((images / np.float32(255), labels.astype(np.int64)) for images, labels in pairs)


def _load_idx_folder(folder, *, checksums=CANONICAL_FILES, validation_size=None):
    """The book's three float splits from the IDX files in ``folder``.

    ``checksums`` maps file names to the Checksum that files of that size must match;
    ``validation_size`` defaults to min(10,000, n // 6) for n training images.
    """
    return _to_float_splits(
        _book_split(*_read_idx_set(folder, checksums=checksums), validation_size=validation_size)
    )


def _read_idx_set(folder, *, checksums=CANONICAL_FILES):
    """(train images, train labels, test images, test labels) from the IDX files in
    ``folder``, as uint8: images (n, 784), labels (n,). A file whose decompressed size is
    that of its entry in ``checksums`` must match that entry's SHA-256."""
    paths = _require_idx_files(Path(folder))
    arrays = {}
    for name, path in paths.items():
        data = read_bytes(path)
        expected = checksums.get(name)
        if expected is not None and len(data) == expected.size:
            verify_content(
                data,
                expected,
                source=path,
                remedy="Delete it and fetch it again, e.g. with "
                "load_data(download=True), which verifies what it gets.",
            )
        arrays[name] = parse_idx(data, source=path, ndim=IDX_DIMENSIONS[name])
    train = _image_label_pair(arrays, paths, TRAIN_IMAGES, TRAIN_LABELS)
    test = _image_label_pair(arrays, paths, TEST_IMAGES, TEST_LABELS)
    return (*train, *test)


def _image_label_pair(arrays, paths, images_name, labels_name):
    """(images (n, 784), labels (n,)) after checking that they fit together."""
    images, labels = arrays[images_name], arrays[labels_name]
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise MnistFormatError(
            f"{paths[images_name]}: expected images of {IMAGE_SIDE}x{IMAGE_SIDE} pixels, "
            f"found {images.shape[1]}x{images.shape[2]}. This is not an MNIST image file."
        )
    if len(images) != len(labels):
        raise MnistFormatError(
            f"{paths[images_name]} holds {len(images)} images but {paths[labels_name]} "
            f"holds {len(labels)} labels; they should match. Use files from the same set."
        )
    _check_labels(labels, paths[labels_name])
    return images.reshape(len(images), IMAGE_PIXELS), labels


def _check_labels(labels, source):
    """MnistFormatError unless every label is a digit 0..9."""
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise MnistFormatError(
            f"{source}: labels should be digits 0..9, found values from {labels.min()} to "
            f"{labels.max()}. This is not an MNIST label file."
        )


def _book_split(train_images, train_labels, test_images, test_labels, *, validation_size=None):
    """The book's three (images, labels) splits: training = all training images but the
    last ``validation_size``, validation = those last ones, test = the test images."""
    n = len(train_labels)
    if validation_size is None:
        validation_size = min(VALIDATION_SIZE, n // 6)
    if not 0 < validation_size < n:
        raise MnistFormatError(
            f"cannot hold out {validation_size} validation images from {n} training "
            "images: the validation split needs at least one image and must leave some "
            "for training. Use a larger set of training images."
        )
    cut = n - validation_size
    return (
        (train_images[:cut], train_labels[:cut]),
        (train_images[cut:], train_labels[cut:]),
        (test_images, test_labels),
    )


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that can build numpy arrays and nothing else.

    Pickles name the functions that rebuild their objects; a malicious one can name
    ``os.system``. This one resolves only the few names an ndarray's pickle uses (from
    Python 2, as in the book's file, or Python 3) and refuses all others.
    """

    # np.ndarray's reduce names numpy's array reconstructor; numpy 2 moved its module.
    _RECONSTRUCT = np.empty(0).__reduce__()[0]
    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
        ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        # Python 3 pickles bytes at protocol 2 as _codecs.encode(text, "latin1").
        ("_codecs", "encode"): codecs.encode,
    }

    def __init__(self, file, source):
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module, name):
        try:
            return self.ALLOWED[module, name]
        except KeyError:
            raise MnistFormatError(
                f"{self.source}: refused to unpickle {module}.{name}: an MNIST pickle "
                "holds only numpy arrays, and loading anything else could run arbitrary "
                "code. Use the book's mnist.pkl.gz or the IDX files."
            ) from None


def _load_pickle(path, *, label_checksums=BOOK_LABELS):
    """The three float splits in the book's pickle ``path`` (gzip or raw), validated.

    A split whose size is that of its entry in ``label_checksums`` must have that
    entry's label SHA-256.
    """
    try:
        with open_maybe_gzip(path) as f:
            content = _ArrayUnpickler(f, path).load()
    except MnistError:
        raise
    except Exception as e:  # the unpickler runs no code: any failure is a bad file
        raise MnistFormatError(
            f"{path}: could not unpickle it ({type(e).__name__}: {e}). Expected the book's "
            f"{PICKLE_NAME}; fetch it again or use the IDX files."
        ) from e
    if not (isinstance(content, tuple) and len(content) == len(SPLITS)):
        raise MnistFormatError(
            f"{path}: expected a tuple of 3 splits (training, validation, test), found "
            f"{_describe(content)}. This is not the book's {PICKLE_NAME}."
        )
    return tuple(
        _pickled_split(split, name, path, book)
        for split, name, book in zip(content, SPLITS, label_checksums)
    )


def _pickled_split(split, name, path, book):
    """(X float32 (n, 784), y int64 (n,)) from one pickled split, after checking it."""
    if not (
        isinstance(split, (tuple, list))
        and len(split) == 2
        and all(isinstance(a, np.ndarray) for a in split)
    ):
        raise MnistFormatError(
            f"{path}: the {name} split should be a pair of arrays (X, y), found "
            f"{_describe(split)}. This is not the book's {PICKLE_NAME}."
        )
    X, y = split
    if X.ndim != 2 or X.shape[1] != IMAGE_PIXELS or X.dtype.kind != "f":
        raise MnistFormatError(
            f"{path}: the {name} images should be floats of shape (n, {IMAGE_PIXELS}), "
            f"found {X.dtype} of shape {X.shape}. This is not the book's {PICKLE_NAME}."
        )
    if y.shape != (len(X),) or y.dtype.kind not in "iu":
        raise MnistFormatError(
            f"{path}: the {name} labels should be {len(X)} integers, found {y.dtype} of "
            f"shape {y.shape}. This is not the book's {PICKLE_NAME}."
        )
    if X.size and (X.min() < 0 or X.max() > 1):
        raise MnistFormatError(
            f"{path}: the {name} pixels should lie in [0, 1], found values from "
            f"{X.min()} to {X.max()}. This is not the book's {PICKLE_NAME}."
        )
    _check_labels(y, f"{path} ({name} split)")
    if len(y) == book.count:
        actual = hashlib.sha256(y.astype(np.uint8).tobytes()).hexdigest()
        if actual != book.sha256:
            raise MnistChecksumError(
                f"{path}: the {name} labels differ from MNIST's: expected SHA-256 "
                f"{book.sha256} (of the labels as bytes), found {actual}. The file is "
                "damaged or not the book's pickle; fetch it again or use the IDX files."
            )
    return np.ascontiguousarray(X, dtype=np.float32), y.astype(np.int64)


def _describe(value):
    """A short description of an unpickled value for error messages."""
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def _load_subset(path=SUBSET_FILE, *, expected=SUBSET_CHECKSUM):
    """The three float splits of the bundled subset, after checking its size and SHA-256."""
    if not path.is_file():
        raise MnistNotFoundError(
            f"the bundled MNIST subset {path} is missing. Restore it (git checkout) or "
            "reinstall handnet; `make subset` rebuilds it from the full IDX files."
        )
    data = path.read_bytes()
    verify_content(
        data,
        expected,
        source=path,
        remedy="Restore it (git checkout) or rebuild it with `make subset`.",
    )
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        return _to_float_splits(
            (stored[f"{name}_images"], stored[f"{name}_labels"]) for name in SPLITS
        )
