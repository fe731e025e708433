"""Checks for assignment 1, the sigmoid neuron: perceptron, NAND, sigmoid, sigmoid_prime."""

from typing import Any

import numpy as np

from ..activations import sigmoid as reference_sigmoid
from ..activations import sigmoid_prime as reference_sigmoid_prime
from .core import CheckFailed, Mistake, as_plain, call_student, check_rng, compare_function, judge

ASSIGNMENT = "01_neuron"


def reference_perceptron(x: np.ndarray, w: np.ndarray, b: float) -> int:
    """1 if w . x + b > 0 else 0; x and w of shape (n,), b a number."""
    return 1 if float(np.dot(w, x)) + b > 0 else 0


def reference_sigmoid_neuron(x: np.ndarray, w: np.ndarray, b: float) -> float:
    """sigma(w . x + b) for x, w of shape (n,) and a number b."""
    return reference_sigmoid(float(np.dot(w, x)) + b)


PERCEPTRON_MISTAKES = (
    Mistake(
        "perceptron.fires_at_zero",
        "use > 0, not >= 0: when w . x + b is exactly 0 the perceptron outputs 0.",
        lambda x, w, b: 1 if float(np.dot(w, x)) + b >= 0 else 0,
    ),
    Mistake(
        "perceptron.no_bias",
        "the output ignores the bias b: compare w . x + b with 0, not w . x alone.",
        lambda x, w, b: 1 if float(np.dot(w, x)) > 0 else 0,
    ),
    Mistake(
        "perceptron.weighted_sum",
        "return 0 or 1, not the weighted input w . x + b itself.",
        lambda x, w, b: float(np.dot(w, x)) + b,
    ),
    Mistake(
        "perceptron.bias_as_threshold",
        "compare w . x + b with 0, not w . x with b: the bias is added to w . x (b = -threshold).",
        lambda x, w, b: 1 if float(np.dot(w, x)) > b else 0,
    ),
)

SIGMOID_MISTAKES = (
    Mistake(
        "sigmoid.sign",
        "your output equals sigma(-z): the exponent is e^(-z), so 1 / (1 + np.exp(-z)).",
        lambda z: reference_sigmoid(-np.asarray(z, dtype=float)),
    ),
    Mistake(
        "sigmoid.no_one",
        "your output equals e^z: the formula is 1 / (1 + e^(-z)); the 1 + is missing.",
        lambda z: np.exp(np.asarray(z, dtype=float)),
    ),
    Mistake(
        "sigmoid.tanh",
        "that is tanh(z), which runs from -1 to 1; sigma runs from 0 to 1.",
        lambda z: np.tanh(z),
    ),
)

SIGMOID_NEURON_MISTAKES = (
    Mistake(
        "sigmoid_neuron.no_bias",
        "your output equals sigma(w . x) without the bias: add b to the weighted input.",
        lambda x, w, b: reference_sigmoid(float(np.dot(w, x))),
    ),
    Mistake(
        "sigmoid_neuron.no_sigmoid",
        "you returned the weighted input w . x + b; the neuron's output is sigma of it.",
        lambda x, w, b: float(np.dot(w, x)) + b,
    ),
    Mistake(
        "sigmoid_neuron.perceptron",
        "you returned 0 or 1 like a perceptron; a sigmoid neuron outputs sigma(w . x + b).",
        reference_perceptron,
    ),
)

SIGMOID_PRIME_MISTAKES = (
    Mistake(
        "sigmoid_prime.given_activation",
        "sigmoid_prime takes z, not sigma(z): yours computes z (1 - z). Compute "
        "sigma(z) from z first, then sigma(z) (1 - sigma(z)).",
        lambda z: np.asarray(z, dtype=float) * (1 - np.asarray(z, dtype=float)),
    ),
    Mistake(
        "sigmoid_prime.square",
        "your output equals sigma(z)^2; the derivative is sigma(z) (1 - sigma(z)).",
        lambda z: reference_sigmoid(z) ** 2,
    ),
    Mistake(
        "sigmoid_prime.sigmoid",
        "you returned sigma(z) itself; its derivative is sigma(z) (1 - sigma(z)).",
        reference_sigmoid,
    ),
    Mistake(
        "sigmoid_prime.plus",
        "your output equals sigma(z) (1 + sigma(z)); the derivative has a minus: "
        "sigma(z) (1 - sigma(z)).",
        lambda z: reference_sigmoid(z) * (1 + reference_sigmoid(z)),
    ),
)

CATALOGUE = (
    PERCEPTRON_MISTAKES + SIGMOID_MISTAKES + SIGMOID_NEURON_MISTAKES + SIGMOID_PRIME_MISTAKES
)


def _inputs(rng, n):
    return rng.normal(0, 1, size=n), rng.normal(0, 2, size=n), float(rng.normal(0, 1))


def check_perceptron(perceptron: Any) -> None:
    """perceptron(x, w, b) on random inputs, and exactly at the threshold."""
    rng, seed = check_rng()
    cases = [_inputs(rng, int(rng.integers(2, 6))) for _ in range(20)]
    cases += [
        (np.array([1.0, 1.0]), np.array([1.0, -1.0]), 0.0),  # w . x + b == 0
        (np.array([2.0, 1.0]), np.array([1.0, 1.0]), -3.0),
        (np.array([1.0, 0.0]), np.array([-2.0, -2.0]), 3.0),
        (np.array([1.0, 0.0]), np.array([1.0, 1.0]), 2.0),  # w . x = 1 < b
        (np.array([1.0, 0.0]), np.array([1.0, 1.0]), -2.0),
    ]  # w . x > 0 > w . x + b
    compare_function(
        perceptron, reference_perceptron, cases, PERCEPTRON_MISTAKES, what="perceptron", seed=seed
    )


def check_nand(w: Any, b: Any) -> None:
    """The perceptron with weights ``w`` and bias ``b`` computes NAND on all four inputs."""
    try:
        w = np.asarray(w, dtype=float).reshape(2)
        b = float(b)
    except (TypeError, ValueError):
        raise CheckFailed("w_nand should be two numbers and b_nand one number.") from None
    for x1 in (0, 1):
        for x2 in (0, 1):
            want = 0 if x1 and x2 else 1
            got = reference_perceptron(np.array([x1, x2], dtype=float), w, b)
            if got != want:
                raise CheckFailed(
                    f"NAND gives {want} for inputs ({x1}, {x2}), but the "
                    f"perceptron with w_nand = {w.tolist()} and b_nand = "
                    f"{b:g} gives {got}."
                )


def check_sigmoid(sigmoid: Any) -> None:
    """sigmoid on random arrays of several shapes and on scalars, elementwise."""
    rng, seed = check_rng()
    cases = [(rng.normal(0, 4, size=shape),) for shape in [(7, 1), (3, 5), (12,), (2, 3, 4)]]
    cases += [(float(rng.normal(0, 3)),), (0.0,)]
    compare_function(sigmoid, reference_sigmoid, cases, SIGMOID_MISTAKES, what="sigmoid", seed=seed)


def check_sigmoid_extremes(sigmoid: Any) -> None:
    """sigmoid(z) for |z| up to 1000: exactly 0 and 1 at the ends, no overflow warning."""
    z = np.array([-1000.0, -800.0, -50.0, 0.0, 50.0, 800.0, 1000.0])
    result, caught = call_student(sigmoid, (z,), "sigmoid")
    if caught:
        raise CheckFailed(
            "clip z first (np.clip(z, -500, 500)) or silence the overflow with "
            "np.errstate(over='ignore'): sigmoid warned for large |z| "
            f"({caught[0].category.__name__}: {caught[0].message}). e^1000 does not fit in a "
            "float, and a warning printed to stderr fails a graded cell."
        )
    judge([result], [as_plain(reference_sigmoid(z))], (), "sigmoid at large |z|", atol=1e-12)


def check_sigmoid_neuron(sigmoid_neuron: Any) -> None:
    """sigmoid_neuron(x, w, b) on random inputs."""
    rng, seed = check_rng()
    cases = [_inputs(rng, int(rng.integers(2, 6))) for _ in range(10)]
    compare_function(
        sigmoid_neuron,
        reference_sigmoid_neuron,
        cases,
        SIGMOID_NEURON_MISTAKES,
        what="sigmoid_neuron",
        seed=seed,
    )


def check_sigmoid_prime(sigmoid_prime: Any) -> None:
    """sigmoid_prime on random arrays and scalars."""
    rng, seed = check_rng()
    cases = [(rng.normal(0, 3, size=shape),) for shape in [(7, 1), (4, 6), (9,)]]
    cases += [(float(rng.normal(0, 2)),)]
    compare_function(
        sigmoid_prime,
        reference_sigmoid_prime,
        cases,
        SIGMOID_PRIME_MISTAKES,
        what="sigmoid_prime",
        seed=seed,
    )


CHECKS = {
    "perceptron": check_perceptron,
    "sigmoid": check_sigmoid,
    "sigmoid_neuron": check_sigmoid_neuron,
    "sigmoid_prime": check_sigmoid_prime,
}
REFERENCES = {
    "perceptron": reference_perceptron,
    "sigmoid": reference_sigmoid,
    "sigmoid_neuron": reference_sigmoid_neuron,
    "sigmoid_prime": reference_sigmoid_prime,
}
