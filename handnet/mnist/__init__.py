"""HandNet's MNIST data layer: find, verify and load MNIST in the book's split.

``loader`` says where the data comes from and what is checked; its ``__all__`` lists
what this package exports.
"""

from . import loader
from .loader import *  # noqa: F403 (exactly loader.__all__)

__all__ = loader.__all__
