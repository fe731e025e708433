"""The errors of the MNIST data layer.

Every message names the file concerned, says what is wrong (expected against found) and
what to do about it, so that a student can act on it without reading this code.
"""


class MnistError(Exception):
    """MNIST could not be found, read, verified or downloaded."""


class MnistNotFoundError(MnistError):
    """A location that should hold MNIST does not exist or lacks some of its files."""


class MnistFormatError(MnistError):
    """A file is not what it claims to be: bad IDX header, wrong length, truncated gzip,
    unexpected pickle contents."""


class MnistChecksumError(MnistError):
    """A file's content differs from the canonical MNIST (its SHA-256 or size)."""


class MnistDownloadError(MnistError):
    """Every mirror failed for a file; the message lists each URL and why it failed."""
