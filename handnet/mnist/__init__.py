"""HandNet's MNIST data layer: find, verify and load MNIST in the book's split.

``loader`` says where the data comes from and what is checked.
"""

from .loader import (
    MnistArrays,
    MnistChecksumError,
    MnistDownloadError,
    MnistError,
    MnistFormatError,
    MnistNotFoundError,
    MnistSource,
    find_mnist,
    load_data,
    load_data_arrays,
    load_data_wrapper,
    mnist_cache_dir,
)

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
