"""Build the MNIST subset bundled with handnet, deterministically, from the full IDX files.

    python scripts/build_mnist_subset.py --source ../shared/data/mnist

(``make subset`` runs this.) The four full IDX files are read and their SHA-256 verified;
the subset takes from the book's split

- training:   the first 10,000 images of the training split,
- validation: every 5th image of the validation split (2,000 images),
- test:       every 5th test image (2,000 images),

and stores pixels and labels as uint8 in ``mnist-subset.npz``, written with fixed zip
metadata so that the same input gives a byte-identical file, and its manifest
``MNIST-SUBSET.md`` (counts, label counts, checksums, provenance, licence).
"""

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

from handnet.mnist.download import CANONICAL_FILES
from handnet.mnist.loader import (
    BOOK_COUNTS,
    SPLITS,
    SUBSET_CHECKSUM,
    VALIDATION_SIZE,
    _book_split,
    _read_idx_set,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "mnist"
DEFAULT_OUT = REPO / "handnet" / "mnist"
SUBSET_NAME = "mnist-subset.npz"
MANIFEST_NAME = "MNIST-SUBSET.md"
TRAINING_COUNT = 10_000
STRIDE = 5
# Zip metadata that would otherwise vary between builds: entry date, creator OS, mode.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_UNIX = 3
ZIP_MODE = 0o644 << 16


def build_subset(source):
    """{"<split>_images": uint8 (n, 784), "<split>_labels": uint8 (n,)} for the subset."""
    train_images, train_labels, test_images, test_labels = _read_idx_set(source)
    if (len(train_labels), len(test_labels)) != (sum(BOOK_COUNTS[:2]), BOOK_COUNTS[2]):
        sys.exit(
            f"{source} does not hold the full MNIST (found {len(train_labels)} "
            f"training and {len(test_labels)} test images); the subset is built from "
            "the canonical files only."
        )
    training, validation, test = _book_split(
        train_images, train_labels, test_images, test_labels, validation_size=VALIDATION_SIZE
    )
    chosen = {
        "training": (training[0][:TRAINING_COUNT], training[1][:TRAINING_COUNT]),
        "validation": (validation[0][::STRIDE], validation[1][::STRIDE]),
        "test": (test[0][::STRIDE], test[1][::STRIDE]),
    }
    arrays = {}
    for name in SPLITS:
        images, labels = chosen[name]
        arrays[f"{name}_images"] = np.ascontiguousarray(images)
        arrays[f"{name}_labels"] = np.ascontiguousarray(labels)
    return arrays


def npz_bytes(arrays):
    """The arrays as .npz bytes that depend on nothing but the arrays (and zlib)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            entry = io.BytesIO()
            np.lib.format.write_array(entry, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            info.create_system = ZIP_UNIX
            info.external_attr = ZIP_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entry.getvalue(), compresslevel=9)
    return buffer.getvalue()


def manifest(arrays, data):
    """The text of MNIST-SUBSET.md for the subset ``arrays`` stored as the bytes ``data``."""
    sources = "\n".join(
        f"| `{name}` | {c.size:,} | `{c.sha256}` |" for name, c in CANONICAL_FILES.items()
    )
    taken = {
        "training": "the first 10,000 images of the book's training split "
        "(training images 0 to 9,999)",
        "validation": "every 5th image of the book's validation split "
        "(training images 50,000, 50,005, ..., 59,995)",
        "test": "every 5th test image (test images 0, 5, ..., 9,995)",
    }
    splits = "\n".join(
        f"| {name} | {len(arrays[f'{name}_labels']):,} | {taken[name]} | "
        f"{' '.join(str(n) for n in np.bincount(arrays[f'{name}_labels'], minlength=10))} |"
        for name in SPLITS
    )
    stored = "\n".join(f"- `{name}`: uint8, shape {array.shape}" for name, array in arrays.items())
    return f"""# The bundled MNIST subset

<!-- Written by scripts/build_mnist_subset.py (`make subset`); do not edit by hand. -->

`{SUBSET_NAME}` is a small, fixed part of MNIST shipped inside the public package `handnet`, so that the
course runs with no download: `handnet.mnist.load_data()` falls back to it when no full
MNIST is found, and says so.

## Contents

| split | images | taken from | label counts, digits 0 to 9 |
| --- | --- | --- | --- |
{splits}

The book's split, which the subset samples, is: training = the first 50,000 MNIST training
images, validation = the last 10,000 training images, test = the 10,000 test images.

Stored arrays (a NumPy `.npz`, no pickled objects), pixels 0 to 255 in row-major 28x28
order, one image per row; the loader divides pixels by 255 and widens labels to int64:

{stored}

## Checksum

| file | bytes | SHA-256 |
| --- | --- | --- |
| `{SUBSET_NAME}` | {len(data):,} | `{hashlib.sha256(data).hexdigest()}` |

The loader checks this size and digest (`handnet.mnist.loader.SUBSET_CHECKSUM`) on every load.

## Source

The original MNIST IDX files. Before use, the SHA-256 of their decompressed content was
verified against these digests (the same across every public mirror):

| file | bytes | SHA-256 of the decompressed content |
| --- | --- | --- |
{sources}

## How it was built

    python scripts/build_mnist_subset.py --source ../shared/data/mnist

The script verifies the four files, takes the book's split, samples it as above and writes
the arrays into a zip whose entries carry a fixed date (1980-01-01), creator system and
file mode, compressed with deflate at level 9. The same input therefore gives a
byte-identical file, as long as zlib's deflate gives the same output (builds such as
zlib-ng compress differently). When the full data is available, a test rebuilds the subset
and compares it byte for byte with this one.

## Licence and credit

MNIST is the work of Yann LeCun and Corinna Cortes (with Christopher J. C. Burges), and is
distributed under the Creative Commons Attribution-Share Alike 3.0 licence
(CC BY-SA 3.0, https://creativecommons.org/licenses/by-sa/3.0/). This subset is derived
from it and is distributed under the same licence.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help="folder of the four full MNIST IDX files (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="folder to write the subset and its manifest into (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    arrays = build_subset(args.source)
    data = npz_bytes(arrays)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / SUBSET_NAME).write_bytes(data)
    (args.out / MANIFEST_NAME).write_text(manifest(arrays, data), encoding="utf-8")
    digest = hashlib.sha256(data).hexdigest()
    print(f"wrote {args.out / SUBSET_NAME}: {len(data):,} bytes, SHA-256 {digest}")
    if (len(data), digest) != tuple(SUBSET_CHECKSUM):
        print(
            f"note: this differs from handnet.mnist.loader.SUBSET_CHECKSUM; set it to "
            f'Checksum({len(data)}, "{digest}") for the loader to accept the new file.'
        )


if __name__ == "__main__":
    main()
