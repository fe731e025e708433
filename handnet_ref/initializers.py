"""Weight and bias initialisers (the book's chapters 1 and 3).

Both draw biases from N(0, 1). They differ in the weights of a neuron with n_in inputs:

- ``large_weights``: N(0, 1), the chapter-1 choice. The weighted input z then has a
  standard deviation of about sqrt(n_in / 2) on MNIST-like inputs, so hidden neurons start
  saturated and learn slowly.
- ``scaled_weights``: N(0, 1/n_in), the chapter-3 choice: z stays of order 1.

Shapes: ``weights[l]`` is (sizes[l+1], sizes[l]), ``biases[l]`` is (sizes[l+1], 1).
"""

import numpy as np
from numpy.typing import DTypeLike

# What an ``rng`` argument may be: a seed, a Generator, or None for fresh entropy.
RngLike = int | np.random.Generator | None


def as_rng(rng: RngLike) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed (int), a Generator, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def large_weights(
    sizes: list[int], rng: RngLike, dtype: DTypeLike = np.float64
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(weights, biases) with every entry drawn from N(0, 1)."""
    rng = as_rng(rng)
    biases = [rng.standard_normal((y, 1)).astype(dtype) for y in sizes[1:]]
    weights = [rng.standard_normal((y, x)).astype(dtype) for x, y in zip(sizes[:-1], sizes[1:])]
    return weights, biases


def scaled_weights(
    sizes: list[int], rng: RngLike, dtype: DTypeLike = np.float64
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(weights, biases): weights from N(0, 1/n_in), biases from N(0, 1)."""
    rng = as_rng(rng)
    biases = [rng.standard_normal((y, 1)).astype(dtype) for y in sizes[1:]]
    weights = [
        (rng.standard_normal((y, x)) / np.sqrt(x)).astype(dtype)
        for x, y in zip(sizes[:-1], sizes[1:])
    ]
    return weights, biases


INITIALIZERS = {"large": large_weights, "scaled": scaled_weights}
