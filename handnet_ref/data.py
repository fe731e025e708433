"""The MNIST loader, for grading code: it lives in the public package ``handnet.mnist``
because students load the same data; this module only re-exports it."""

from handnet.mnist import *  # noqa: F401,F403
from handnet.mnist import __all__  # noqa: F401
