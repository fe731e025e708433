"""HandNet's hidden reference: Nielsen's network, the MNIST loader and grading checks.

Grader-only: student releases never contain this package.
"""

from .activations import sigmoid, sigmoid_prime
from .costs import CrossEntropyCost, QuadraticCost
from .gradcheck import network_numerical_gradients, numerical_gradient, rel_error
from .matrix import backprop_batch
from .monitoring import EarlyStopping, History
from .network import Network

__all__ = [
    "sigmoid",
    "sigmoid_prime",
    "CrossEntropyCost",
    "QuadraticCost",
    "network_numerical_gradients",
    "numerical_gradient",
    "rel_error",
    "backprop_batch",
    "EarlyStopping",
    "History",
    "Network",
]
