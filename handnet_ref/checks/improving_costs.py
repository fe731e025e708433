"""Checks for assignment 6, part 1: the quadratic cost's delta, one neuron trained by
gradient descent (the learning slowdown), and the cross-entropy cost and its delta.

The references are ``handnet_ref.costs`` and ``network2``: the costs' ``fn`` and ``delta``,
and, for one neuron, ``network2.Network([1, 1])`` trained by its ``update_mini_batch`` on
the one example. The mistakes are the costs with one slip, or ``_train_neuron`` (the same
step written for a scalar w and b, which a written-out mistake sample can carry) with one
slip; ``test_references_follow_the_network`` holds ``_train_neuron`` without its slip equal
to the reference. The cross-entropy's slips about ``np.nan_to_num`` need the elementwise
terms before the sum, which ``CrossEntropyCost.fn`` does not hand out: they come from
``_cross_entropy_terms``.

(Over 300 lines: the checks of one assignment's part and the catalogue of their
mistakes, each with its hint, kept in one module so that the notebook, this module
and its test file line up.)
"""

from typing import Any

import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..costs import Cost, CrossEntropyCost, QuadraticCost
from ..network2 import Network as ReferenceNetwork
from ._improving_net import _one_hot
from .core import (
    CheckFailed,
    Mistake,
    as_plain,
    call_student,
    check_rng,
    compare_function,
    judge,
    student_function,
)

ASSIGNMENT = "06_improving"

# --- 1. the quadratic cost's delta and one neuron ---------------------------------------


reference_quadratic_delta = QuadraticCost.delta  # (a - y) * sigma'(z)


QUADRATIC_DELTA_MISTAKES = (
    Mistake(
        "quadratic_delta.no_sigma_prime",
        "multiply by sigmoid_prime(z) for the quadratic cost: your delta is a - y, without "
        "the factor sigma'(z) (that is the cross-entropy delta).",
        lambda z, a, y: a - y,
    ),
    Mistake(
        "quadratic_delta.sigma_prime_of_a",
        "take the derivative at the weighted input, sigmoid_prime(z): you multiplied by "
        "sigmoid_prime(a).",
        lambda z, a, y: (a - y) * sigmoid_prime(a),
    ),
    Mistake(
        "quadratic_delta.sign",
        "flip the sign of your delta: it is (a - y) * sigma'(z), not (y - a) * sigma'(z).",
        lambda z, a, y: (y - a) * sigmoid_prime(z),
    ),
)


def _delta_cases(rng):
    cases = []
    for shape in [(10, 1), (4, 7), (3, 5)]:
        z = rng.normal(0, 3, size=shape)
        y = _one_hot(rng.integers(0, shape[0], size=shape[1]), shape[0])
        cases.append((z, sigmoid(z), y))
    z = rng.normal(0, 2, size=(6, 3))
    cases.append((z, sigmoid(z), rng.random((6, 3))))
    return cases


def check_quadratic_delta(obj: Any) -> None:
    """QuadraticCost.delta(z, a, y) on random batches with a = sigma(z)."""
    fn = student_function(obj, "delta")
    rng, seed = check_rng()
    compare_function(
        fn,
        reference_quadratic_delta,
        _delta_cases(rng),
        QUADRATIC_DELTA_MISTAKES,
        what="QuadraticCost.delta",
        seed=seed,
    )


def _train_neuron(cost, w, b, x, y, eta, epochs, delta=None, sign=1.0, use_x=True):
    """train_neuron with one slip (the defaults: none)."""
    delta = delta or cost.delta
    outputs = [sigmoid(w * x + b)]
    for _ in range(epochs):
        z = w * x + b
        a = sigmoid(z)
        d = delta(z, a, y)
        w = w - sign * eta * d * (x if use_x else 1.0)
        b = b - sign * eta * d
        outputs.append(sigmoid(w * x + b))
    return np.array(outputs, dtype=float)


def reference_train_neuron(
    cost: Cost, w: float, b: float, x: float, y: float, eta: float, epochs: int
) -> np.ndarray:
    """Outputs of one sigmoid neuron before training and after each of ``epochs`` steps:
    network2's ``Network([1, 1])`` with weight w and bias b, one ``update_mini_batch`` on
    the example (x, y) per step."""
    net = ReferenceNetwork([1, 1], cost=cost, rng=0)
    net.weights, net.biases = [np.array([[w]], dtype=float)], [np.array([[b]], dtype=float)]
    x, y = np.array([[x]], dtype=float), np.array([[y]], dtype=float)
    outputs = [net.feedforward(x).item()]
    for _ in range(epochs):
        net.update_mini_batch([(x, y)], eta)
        outputs.append(net.feedforward(x).item())
    return np.array(outputs)


TRAIN_NEURON_MISTAKES = (
    Mistake(
        "train_neuron.no_x",
        "multiply the weight's step by the input x (its gradient is delta * x): you left x "
        "out of the update of w (it makes no difference only when x = 1).",
        lambda cost, w, b, x, y, eta, epochs: _train_neuron(
            cost, w, b, x, y, eta, epochs, use_x=False
        ),
    ),
    Mistake(
        "train_neuron.sign",
        "subtract eta times the gradient, w - eta * delta * x and b - eta * delta: your "
        "neuron climbs the cost instead of descending it.",
        lambda cost, w, b, x, y, eta, epochs: _train_neuron(
            cost, w, b, x, y, eta, epochs, sign=-1.0
        ),
    ),
    Mistake(
        "train_neuron.no_start",
        "start with the output before any training, then the output after each step "
        "(epochs + 1 numbers): yours starts after the first step.",
        lambda cost, w, b, x, y, eta, epochs: _train_neuron(cost, w, b, x, y, eta, epochs)[1:],
    ),
    Mistake(
        "train_neuron.before_step",
        "record the output after each step, and once before the first (epochs + 1 numbers "
        "in all): you recorded it before each step.",
        lambda cost, w, b, x, y, eta, epochs: _train_neuron(cost, w, b, x, y, eta, epochs)[:-1],
    ),
    Mistake(
        "train_neuron.quadratic_always",
        "call cost.delta(z, a, y): your neuron learns with the quadratic delta whatever "
        "cost it is given.",
        lambda cost, w, b, x, y, eta, epochs: _train_neuron(
            cost, w, b, x, y, eta, epochs, delta=reference_quadratic_delta
        ),
    ),
    Mistake(
        "train_neuron.cross_entropy_always",
        "call cost.delta(z, a, y): your neuron learns with delta = a - y whatever cost it "
        "is given.",
        lambda cost, w, b, x, y, eta, epochs: _train_neuron(
            cost, w, b, x, y, eta, epochs, delta=lambda z, a, y: a - y
        ),
    ),
)


def check_train_neuron(train_neuron: Any) -> None:
    """train_neuron(cost, w, b, x, y, eta, epochs) for both costs and random settings."""
    if not callable(train_neuron):
        raise CheckFailed("train_neuron: expected a function.")
    rng, seed = check_rng()
    cases = []
    for cost in (QuadraticCost, CrossEntropyCost, QuadraticCost, CrossEntropyCost):
        x = float(rng.choice([-1, 1]) * rng.uniform(0.3, 2.5))
        cases.append(
            (
                cost,
                float(rng.normal(0, 2)),
                float(rng.normal(0, 2)),
                x,
                float(rng.choice([0.0, 1.0, rng.uniform(0.1, 0.9)])),
                float(rng.uniform(0.05, 0.8)),
                int(rng.integers(3, 15)),
            )
        )
    as_array = lambda *case: np.asarray(train_neuron(*case), dtype=float)
    compare_function(
        as_array,
        reference_train_neuron,
        cases,
        TRAIN_NEURON_MISTAKES,
        what="train_neuron",
        seed=seed,
    )


# --- 2. the cross-entropy cost ----------------------------------------------------------


def _cross_entropy_terms(a, y):
    """The elementwise terms of the cross-entropy, before nan_to_num and the sum."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -y * np.log(a) - (1 - y) * np.log(1 - a)


reference_cross_entropy_fn = CrossEntropyCost.fn  # -sum [y ln a + (1 - y) ln(1 - a)], 0 ln 0 = 0


reference_cross_entropy_delta = CrossEntropyCost.delta  # a - y


CROSS_ENTROPY_FN_MISTAKES = (
    Mistake(
        "cross_entropy_fn.sign",
        "put the minus sign in front, -sum [y ln a + (1 - y) ln(1 - a)]: your cost is "
        "negative (the logarithms of numbers below 1 are negative).",
        lambda a, y: -CrossEntropyCost.fn(a, y),
    ),
    Mistake(
        "cross_entropy_fn.one_term",
        "add the term (1 - y) ln(1 - a), which punishes an output a > 0 where y = 0: the "
        "cost is -sum [y ln a + (1 - y) ln(1 - a)], and yours leaves it out.",
        lambda a, y: float(np.sum(np.nan_to_num(-y * np.log(a)))),
    ),
    Mistake(
        "cross_entropy_fn.no_nan_to_num",
        "wrap the elementwise terms in np.nan_to_num before summing: your cost is nan when "
        "an output is exactly 0 or 1 and matches its target (0 * ln 0 gives nan in NumPy).",
        lambda a, y: float(np.sum(_cross_entropy_terms(a, y))),
    ),
    Mistake(
        "cross_entropy_fn.nan_to_num_after_sum",
        "np.nan_to_num must be applied to the elementwise terms, before the sum: applied "
        "to the sum, one 0 * ln 0 turns the whole cost into nan and then into 0.",
        lambda a, y: float(np.nan_to_num(np.sum(_cross_entropy_terms(a, y)))),
    ),
    Mistake(
        "cross_entropy_fn.mean",
        "sum the terms (np.sum), do not average them: the cost is a sum over the output "
        "neurons and the examples (total_cost divides by the number of examples later).",
        lambda a, y: CrossEntropyCost.fn(a, y) / np.size(a),
    ),
)

CROSS_ENTROPY_DELTA_MISTAKES = (
    Mistake(
        "cross_entropy_delta.quadratic",
        "drop the factor sigma'(z): with the cross-entropy it cancels and delta is simply "
        "a - y (you multiplied by it, as in the quadratic cost's delta).",
        reference_quadratic_delta,
    ),
    Mistake(
        "cross_entropy_delta.sign",
        "flip the sign of your delta: it is a - y, not y - a.",
        lambda z, a, y: y - a,
    ),
)


def _cost_cases(rng):
    cases = []
    for shape in [(10, 1), (5, 8), (3, 4)]:
        a = sigmoid(rng.normal(0, 2, size=shape))
        y = _one_hot(rng.integers(0, shape[0], size=shape[1]), shape[0])
        cases.append((a, y))
    cases.append((rng.uniform(0.05, 0.95, size=(4, 3)), rng.random((4, 3))))
    # exact 0 and 1 outputs that match their targets: 0 ln 0 must count as 0
    a = sigmoid(rng.normal(0, 1, size=(4, 3)))
    y = _one_hot(rng.integers(0, 4, size=3), 4)
    a[0, 0], y[0, 0] = 0.0, 0.0
    a[1, 1], y[1, 1] = 1.0, 1.0
    cases.append((a, y))
    return cases


def check_cross_entropy_fn(obj: Any) -> None:
    """CrossEntropyCost.fn(a, y) on random batches, one of them with exact 0s and 1s."""
    fn = student_function(obj, "fn")
    rng, seed = check_rng()
    compare_function(
        fn,
        reference_cross_entropy_fn,
        _cost_cases(rng),
        CROSS_ENTROPY_FN_MISTAKES,
        what="CrossEntropyCost.fn",
        seed=seed,
    )


def check_cross_entropy_edges(obj: Any) -> None:
    """CrossEntropyCost.fn where outputs are exactly 0 or 1: 0 ln 0 counts as 0, and no
    warning is printed."""
    fn = student_function(obj, "fn")
    a = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    result, caught = call_student(fn, (a, y), "CrossEntropyCost.fn")
    if caught:
        raise CheckFailed(
            "CrossEntropyCost.fn: compute the logarithms inside "
            "`with np.errstate(divide='ignore', invalid='ignore'):`, then apply "
            "np.nan_to_num: yours warned for outputs of exactly 0 or 1 "
            f"({caught[0].category.__name__}: {caught[0].message}), and a warning printed to "
            "stderr fails a graded cell."
        )
    judge(
        [result],
        [as_plain(reference_cross_entropy_fn(a, y))],
        (),
        "CrossEntropyCost.fn with outputs of exactly 0 and 1",
    )


def check_cross_entropy_delta(obj: Any) -> None:
    """CrossEntropyCost.delta(z, a, y) on random batches with a = sigma(z)."""
    fn = student_function(obj, "delta")
    rng, seed = check_rng()
    compare_function(
        fn,
        reference_cross_entropy_delta,
        _delta_cases(rng),
        CROSS_ENTROPY_DELTA_MISTAKES,
        what="CrossEntropyCost.delta",
        seed=seed,
    )


CATALOGUE = (
    QUADRATIC_DELTA_MISTAKES
    + TRAIN_NEURON_MISTAKES
    + CROSS_ENTROPY_FN_MISTAKES
    + CROSS_ENTROPY_DELTA_MISTAKES
)

# The methods of the stand-ins that the student's code may call during each check, when
# the grader runs it (handnet_grader.trust.grader_link); any other is not lent.
HELPERS = {"check_train_neuron": ("fn", "delta")}

CHECKS = {
    "quadratic_delta": check_quadratic_delta,
    "train_neuron": check_train_neuron,
    "cross_entropy_fn": check_cross_entropy_fn,
    "cross_entropy_edges": check_cross_entropy_edges,
    "cross_entropy_delta": check_cross_entropy_delta,
}

REFERENCES = {
    "quadratic_delta": reference_quadratic_delta,
    "train_neuron": reference_train_neuron,
    "cross_entropy_fn": reference_cross_entropy_fn,
    "cross_entropy_edges": reference_cross_entropy_fn,
    "cross_entropy_delta": reference_cross_entropy_delta,
}
