"""Cost functions of the book's chapter 3, for sigmoid output layers.

Each cost gives its value ``fn(a, y)`` for one example or a batch (columns are examples),
``delta(z, a, y)``, the output error dC/dz^L of backpropagation's equation (BP1), and
``delta_inplace(a, y, out, tmp)``, the same error computed from the activations alone
into preallocated buffers, for the fast matrix path (any layout, as long as ``a`` and
``y`` have the same shape).
"""

import numpy as np

from .activations import sigmoid_prime


class QuadraticCost:
    """C = 1/2 ||a - y||^2. Its delta carries the factor sigma'(z), hence the learning
    slowdown of saturated output neurons."""

    name = "quadratic"

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        """Cost summed over the columns of ``a`` and ``y`` (shape (n_L, m) or (n_L, 1))."""
        return 0.5 * float(np.sum((a - y) ** 2))

    @staticmethod
    def delta(z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(a - y) * sigma'(z), shape of ``a``."""
        return (a - y) * sigmoid_prime(z)

    @staticmethod
    def delta_inplace(a: np.ndarray, y: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
        """Write (a - y) * a * (1 - a) into ``out``; sigma'(z) = a (1 - a)."""
        np.subtract(a, y, out=out)
        np.subtract(1.0, a, out=tmp)
        out *= tmp
        out *= a
        return out


class CrossEntropyCost:
    """C = -sum[y ln a + (1 - y) ln(1 - a)]. Its delta is a - y: no sigma'(z) factor,
    so a badly wrong output neuron learns fast."""

    name = "cross-entropy"

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        """Cost summed over the columns; 0 * ln 0 counts as 0, ln 0 as a large finite value."""
        with np.errstate(divide="ignore", invalid="ignore"):
            c = -y * np.log(a) - (1 - y) * np.log(1 - a)
        return float(np.sum(np.nan_to_num(c)))

    @staticmethod
    def delta(z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """a - y, shape of ``a`` (``z`` is unused; kept for a uniform interface)."""
        return a - y

    @staticmethod
    def delta_inplace(a: np.ndarray, y: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
        """Write a - y into ``out``."""
        return np.subtract(a, y, out=out)


# A cost is used as its class (its methods are static): one of these two.
Cost = type[QuadraticCost] | type[CrossEntropyCost]

COSTS = {cls.name: cls for cls in (QuadraticCost, CrossEntropyCost)}


def cost_by_name(name: str) -> Cost:
    """The cost class saved under ``name`` in a network's JSON file."""
    try:
        return COSTS[name]
    except KeyError:
        raise ValueError(f"unknown cost {name!r}; known costs: {', '.join(COSTS)}") from None
