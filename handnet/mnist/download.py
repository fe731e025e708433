"""Verified, atomic downloads of the MNIST files.

Each file is streamed into a temporary file in its destination folder, its decompressed
content is checked against the expected byte size and SHA-256, and only then is it moved
into place with ``os.replace`` (atomic). Any failure (HTTP error, dropped connection, a
body shorter than its Content-Length, truncated gzip, wrong checksum) deletes the
temporary file and moves on to the next mirror, so a failed download leaves nothing
behind. Only the standard library's urllib is used.
"""

import hashlib
import http.client
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import NamedTuple

from .errors import MnistChecksumError, MnistDownloadError, MnistError
from .idx import read_bytes


class Checksum(NamedTuple):
    """The byte size and SHA-256 (hex) of a file's decompressed content."""

    size: int
    sha256: str


# The four MNIST files, in this order: training images and labels, test images and labels.
# Digests are of the decompressed content, the same across every mirror whatever gzip
# produced the .gz files.
CANONICAL_FILES = {
    "train-images-idx3-ubyte": Checksum(
        47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    ),
    "train-labels-idx1-ubyte": Checksum(
        60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    ),
    "t10k-images-idx3-ubyte": Checksum(
        7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    ),
    "t10k-labels-idx1-ubyte": Checksum(
        10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    ),
}

# Public mirrors of the gzipped IDX files; a file's URL is the mirror followed by its name.
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

CHUNK_BYTES = 1 << 16


def verify_content(data, expected, *, source, remedy=""):
    """Raise MnistChecksumError unless ``data`` has ``expected`` size and SHA-256.

    ``source`` names the file in the message, ``remedy`` (if any) says what to do.
    """
    actual = hashlib.sha256(data).hexdigest()
    if len(data) != expected.size or actual != expected.sha256:
        raise MnistChecksumError(
            f"{source}: expected {expected.size} bytes with SHA-256 {expected.sha256}, "
            f"found {len(data)} bytes with SHA-256 {actual}: the file is damaged or is "
            f"not the expected one." + (f" {remedy}" if remedy else "")
        )


def download_file(urls, dest, *, sha256, size, timeout=30):
    """Download ``dest`` from the first of ``urls`` that serves a verified copy.

    ``sha256`` and ``size`` describe the decompressed content (the file may be served
    gzipped, as the MNIST mirrors do, or raw). Returns the URL used. If every URL fails,
    raises MnistDownloadError listing each URL and what went wrong; ``dest`` is then left
    as it was and no temporary file remains.
    """
    dest = Path(dest)
    expected = Checksum(size, sha256)
    failures = []
    for url in urls:
        try:
            _fetch_verified(url, dest, expected, timeout)
            return url
        except (OSError, http.client.HTTPException, ValueError, MnistError) as e:
            failures.append(f"  {url}: {type(e).__name__}: {e}")
    raise MnistDownloadError(
        f"could not download {dest.name} into {dest.parent}; every URL failed:\n"
        + "\n".join(failures)
        + "\nCheck your internet connection (or proxy), or fetch the file by hand and set "
        "HANDNET_MNIST to its folder."
    )


def download_mnist(
    dest_folder, *, mirrors=DEFAULT_MIRRORS, files=CANONICAL_FILES, timeout=30, verbose=True
):
    """Fetch the gzipped IDX ``files`` (name -> Checksum) into ``dest_folder``.

    Each ``<name>.gz`` is tried on the ``mirrors`` in order. Files already there and
    verified are kept. Returns the folder as a Path; raises MnistDownloadError on failure.
    """
    folder = Path(dest_folder)
    folder.mkdir(parents=True, exist_ok=True)
    for number, (name, expected) in enumerate(files.items(), start=1):
        dest = folder / f"{name}.gz"
        if dest.is_file() and _is_verified(dest, expected):
            continue
        if verbose:
            print(
                f"HandNet: downloading {dest.name} ({number}/{len(files)}) ...", end=" ", flush=True
            )
        url = download_file(
            [mirror.rstrip("/") + "/" + dest.name for mirror in mirrors],
            dest,
            sha256=expected.sha256,
            size=expected.size,
            timeout=timeout,
        )
        if verbose:
            print(f"verified, from {url}")
    return folder


def _is_verified(path, expected):
    """Whether the file at ``path`` decompresses to the ``expected`` content."""
    try:
        verify_content(read_bytes(path), expected, source=path)
    except MnistError:
        return False
    return True


def _fetch_verified(url, dest, expected, timeout):
    """Stream ``url`` into a temporary file beside ``dest``, verify it, move it into place."""
    fd, temporary = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            _stream(url, out, timeout)
        verify_content(read_bytes(temporary), expected, source="the content served")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it 0600; give the usual mode
        os.replace(temporary, dest)
    finally:
        Path(temporary).unlink(missing_ok=True)  # gone already after a successful replace


def _stream(url, out, timeout):
    """Copy the body of ``url`` into the binary file ``out``, checking its Content-Length."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        announced = response.headers.get("Content-Length")
        received = 0
        while chunk := response.read(CHUNK_BYTES):
            out.write(chunk)
            received += len(chunk)
    if announced is not None and received != int(announced):
        raise MnistDownloadError(
            f"the connection ended after {received} of the {announced} bytes announced"
        )
