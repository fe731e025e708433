"""Read and write the IDX format of the original MNIST files.

An IDX file is a header followed by the array's bytes in C order::

    bytes 0-1   zero
    byte  2     element type: 0x08 is unsigned byte, the only type MNIST uses
    byte  3     number of dimensions d (1 for labels, 3 for images)
    then        d big-endian uint32 sizes, e.g. 60000, 28, 28
    then        prod(sizes) elements

so MNIST's label files start with the magic number 0x00000801 and its image files with
0x00000803. Files may be gzip-compressed (as published) or raw; readers tell them apart by
content, not by name.
"""

import gzip
import zlib
from pathlib import Path

import numpy as np

from .errors import MnistFormatError

UNSIGNED_BYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"


def open_maybe_gzip(path):
    """Open ``path`` for binary reading, decompressing on the fly if it is gzip data."""
    with open(path, "rb") as f:
        compressed = f.read(2) == GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def read_bytes(path):
    """The content of ``path`` (decompressed if gzip) as bytes.

    A truncated or corrupt gzip stream raises MnistFormatError naming the file.
    """
    try:
        with open_maybe_gzip(path) as f:
            return f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise MnistFormatError(
            f"{path}: the gzip data is truncated or corrupt ({e}). "
            "Delete the file and fetch it again."
        ) from e


def parse_idx(data, *, source, ndim=None):
    """The array stored in the IDX bytes ``data``: uint8 of the shape its header gives.

    ``source`` names the file in error messages; ``ndim``, if given, is the number of
    dimensions required (1 for labels, 3 for images). The array is a read-only view of
    ``data``. A wrong magic number, a wrong number of dimensions or a payload whose length
    differs from the header's sizes raises MnistFormatError.
    """
    if len(data) < 4 or data[0:2] != b"\0\0":
        raise MnistFormatError(
            f"{source}: not an IDX file: expected a magic number 0x000008NN, found "
            f"0x{data[:4].hex()}. Check that this is an MNIST file and not, say, an HTML "
            "error page saved under its name."
        )
    dtype_code, dims = data[2], data[3]
    if dtype_code != UNSIGNED_BYTE:
        raise MnistFormatError(
            f"{source}: IDX element type 0x{dtype_code:02x} is not supported: expected "
            f"0x{UNSIGNED_BYTE:02x} (unsigned byte), the type of every MNIST file."
        )
    if ndim is not None and dims != ndim:
        raise MnistFormatError(
            f"{source}: expected an IDX file of {ndim} dimension(s) (magic number "
            f"0x0000080{ndim}), found {dims} (magic number 0x{data[:4].hex()}). "
            "Are the image and label files swapped?"
        )
    header = 4 + 4 * dims
    if len(data) < header:
        raise MnistFormatError(
            f"{source}: the IDX header needs {header} bytes, the file holds only "
            f"{len(data)}. The file is truncated: fetch it again."
        )
    shape = tuple(int(n) for n in np.frombuffer(data, dtype=">u4", count=dims, offset=4))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        raise MnistFormatError(
            f"{source}: the header announces shape {shape}, so the file should hold "
            f"{expected} bytes; it holds {len(data)} ({problem}). Fetch the file again."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_idx(path, *, ndim=None):
    """The uint8 array stored in the IDX file ``path`` (gzip or raw), e.g. (60000, 28, 28)."""
    return parse_idx(read_bytes(path), source=path, ndim=ndim)


def idx_bytes(array):
    """The IDX encoding (header and payload) of the uint8 ``array``."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"IDX files written here hold uint8, got {array.dtype}")
    header = bytes([0, 0, UNSIGNED_BYTE, array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array).tobytes()


def write_idx(path, array):
    """Write the uint8 ``array`` to ``path`` as IDX, gzip-compressed if the name ends in .gz.

    The gzip header carries no time stamp, so equal arrays give byte-identical files.
    """
    data = idx_bytes(array)
    path = Path(path)
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
