"""Checks for assignment 2, feedforward: ``Network.__init__``, ``Network.feedforward``,
``Network.evaluate`` and ``vectorized_result``.

Methods are checked one at a time: the student's function is called with a reference
``handnet_ref.network.Network`` as ``self`` (or, for ``__init__``, a blank object), so a
mistake in one method never shows up in the check of another.

(Over 300 lines: the checks of one assignment and the catalogue of their
mistakes, each with its hint, kept in one module so that the notebook, this module
and its test file line up.)
"""

import types
from typing import Any

import numpy as np

from ..activations import sigmoid
from ..network import Network as ReferenceNetwork
from .core import (
    CheckFailed,
    Mistake,
    as_plain,
    call_student,
    check_rng,
    compare_function,
    judge,
    quietly,
    student_function,
    type_name,
)

ASSIGNMENT = "02_feedforward"


# --- __init__ ---------------------------------------------------------------------------


def reference_init(self, sizes: list[int], rng: np.random.Generator) -> None:
    """Biases (y, 1) and weights (y, x) from N(0, 1), drawn with the Generator ``rng``."""
    self.sizes = list(sizes)
    self.num_layers = len(sizes)
    self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
    self.weights = [rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]


def _init_variant(biases, weights):
    """An __init__ that sets the biases and weights with the given functions of (sizes, rng)."""

    def variant(self, sizes, rng):
        self.sizes = list(sizes)
        self.num_layers = len(sizes)
        self.biases = biases(sizes, rng)
        self.weights = weights(sizes, rng)

    return variant


_normal_biases = lambda sizes, rng: [rng.standard_normal((y, 1)) for y in sizes[1:]]
_normal_weights = lambda sizes, rng: [
    rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])
]

INIT_MISTAKES = (
    Mistake(
        "init.weights_transposed",
        "weights[l] should have shape (sizes[l+1], sizes[l]): one row per neuron of the "
        "next layer, one column per input. Yours is transposed: draw (y, x), not (x, y).",
        _init_variant(
            _normal_biases,
            lambda sizes, rng: [rng.standard_normal((x, y)) for x, y in zip(sizes[:-1], sizes[1:])],
        ),
    ),
    Mistake(
        "init.biases_flat",
        "biases[l] should be a column of shape (y, 1), not a flat array (y,): a flat "
        "bias broadcasts along the wrong axis when it is added to w @ a.",
        _init_variant(
            lambda sizes, rng: [rng.standard_normal(y) for y in sizes[1:]], _normal_weights
        ),
    ),
    Mistake(
        "init.biases_wrong_layers",
        "there is one bias per neuron of every layer except the input layer: use "
        "sizes[1:], not sizes[:-1].",
        _init_variant(
            lambda sizes, rng: [rng.standard_normal((y, 1)) for y in sizes[:-1]], _normal_weights
        ),
    ),
    Mistake(
        "init.uniform",
        "draw the numbers from the normal distribution N(0, 1) with rng.standard_normal: "
        "yours lie between 0 and 1 (rng.random draws uniformly).",
        _init_variant(
            lambda sizes, rng: [rng.random((y, 1)) for y in sizes[1:]],
            lambda sizes, rng: [rng.random((y, x)) for x, y in zip(sizes[:-1], sizes[1:])],
        ),
    ),
    Mistake(
        "init.zero_biases",
        "your biases are all 0; draw them from N(0, 1) like the weights.",
        _init_variant(lambda sizes, rng: [np.zeros((y, 1)) for y in sizes[1:]], _normal_weights),
    ),
    Mistake(
        "init.global_rng",
        "draw every number from the generator rng that __init__ receives "
        "(rng.standard_normal), not from np.random or a new generator: two networks built "
        "with generators of the same seed came out different.",
        _init_variant(
            lambda sizes, rng: [np.random.default_rng().standard_normal((y, 1)) for y in sizes[1:]],
            lambda sizes, rng: [
                np.random.default_rng().standard_normal((y, x))
                for x, y in zip(sizes[:-1], sizes[1:])
            ],
        ),
    ),
)


def _distribution(values):
    """'N(0, 1)', 'U(0, 1)', 'zeros' or 'other', from the pooled values (loose tests:
    six standard errors, so a correct draw fails about once in a billion checks)."""
    v = np.concatenate([np.ravel(a) for a in values]) if values else np.zeros(0)
    n = v.size
    if n == 0:
        return "empty"
    if not np.any(v):
        return "zeros"
    mean, sd = float(np.mean(v)), float(np.std(v))
    if abs(mean) < 6 / np.sqrt(n) and abs(sd - 1) < 6 / np.sqrt(2 * n):
        return "N(0, 1)"
    if (
        v.min() >= 0
        and v.max() <= 1
        and abs(mean - 0.5) < 6 * 0.29 / np.sqrt(n)
        and abs(sd - 0.2887) < 0.1
    ):
        return "U(0, 1)"
    return f"other (mean {mean:.3g}, standard deviation {sd:.3g})"


def _build(fn, sizes, seed, quiet):
    """(biases, weights) that ``fn`` sets on a blank object for ``sizes`` and a Generator
    seeded with ``seed``; None when ``quiet`` and it fails."""
    blank = types.SimpleNamespace()
    if quiet:
        try:
            with np.errstate(all="ignore"):
                fn(blank, list(sizes), np.random.default_rng(seed))
        except Exception:
            return None
    else:
        call_student(
            lambda s, g: fn(blank, s, g), (list(sizes), np.random.default_rng(seed)), "__init__"
        )
    biases, weights = getattr(blank, "biases", None), getattr(blank, "weights", None)
    if quiet:
        return biases, weights
    for name, value in (("self.biases", biases), ("self.weights", weights)):
        if not isinstance(value, (list, tuple)):
            raise CheckFailed(
                f"__init__ should set {name} to a list of arrays, one per layer "
                f"after the input; it set {type_name(value)}."
            )
        if as_plain(list(value)) is None:
            raise CheckFailed(f"__init__: {name} should hold NumPy arrays of numbers.")
    return biases, weights


def _init_fingerprint(fn, cases, quiet=True):
    """What matters of an __init__ on these cases: shapes per case, whether the same seed
    gives the same numbers, and the pooled distributions of biases and weights."""
    shapes, same, all_b, all_w = [], True, [], []
    for sizes, seed in cases:
        first, second = _build(fn, sizes, seed, quiet), _build(fn, sizes, seed, quiet)
        if first is None or second is None:
            return None
        (b, w), (b2, w2) = first, second
        try:
            shapes.append((tuple(np.shape(a) for a in b), tuple(np.shape(a) for a in w)))
            same = same and all(
                np.array_equal(p, q) for p, q in zip(list(b) + list(w), list(b2) + list(w2))
            )
        except Exception:
            return None
        all_b += list(b)
        all_w += list(w)
    return (tuple(shapes), same, _distribution(all_b), _distribution(all_w))


def _describe_init(got, expected, cases):
    """A sentence about the first way ``got`` differs from ``expected``."""
    for (sizes, _), (gb, gw), (eb, ew) in zip(cases, got[0], expected[0]):
        for name, g, e in (("self.biases", gb, eb), ("self.weights", gw, ew)):
            if len(g) != len(e):
                return (
                    f"for sizes {sizes}, {name} should hold {len(e)} arrays (one per layer "
                    f"after the input); yours holds {len(g)}."
                )
            for l, (gs, es) in enumerate(zip(g, e)):
                if gs != es:
                    hint = " (a transpose?)" if gs == es[::-1] else ""
                    return (
                        f"for sizes {sizes}, {name}[{l}] should have shape {es}; yours has "
                        f"shape {gs}{hint}."
                    )
    if not got[1]:
        return INIT_MISTAKES[-1].hint
    for name, g, e in (("the biases", got[2], expected[2]), ("the weights", got[3], expected[3])):
        if g != e:
            return f"{name} should be drawn from N(0, 1) (mean 0, standard deviation 1); yours look like {g}."
    return "your network differs from the expected one."


def check_init(obj: Any) -> None:
    """__init__(self, sizes, rng): shapes, reproducibility with the given Generator, and
    (loosely) the N(0, 1) distribution of the biases and weights."""
    fn = student_function(obj, "__init__")
    rng, seed = check_rng()
    seeds = [int(s) for s in rng.integers(0, 2**32, size=4)]
    cases = [
        ([784, 30, 10], seeds[0]),
        ([20, 50, 40, 10], seeds[1]),
        ([5, 5, 5], seeds[2]),
        ([3, 4, 2], seeds[3]),
    ]
    got = _init_fingerprint(fn, cases, quiet=False)
    if got is None:
        raise CheckFailed(
            "__init__: self.biases and self.weights should be lists of NumPy "
            "arrays, one per layer after the input."
        )
    expected = _init_fingerprint(reference_init, cases)
    if got == expected:
        return
    for mistake in INIT_MISTAKES:
        if _init_fingerprint(mistake.variant, cases) == got:
            raise CheckFailed(f"__init__: {mistake.hint}")
    raise CheckFailed(f"__init__: {_describe_init(got, expected, cases)} (check seed {seed})")


# --- feedforward ------------------------------------------------------------------------


# sigma(w a + b), layer after layer, for a column (n, 1) or a batch (n, m): the book's.
reference_feedforward = ReferenceNetwork.feedforward


def _layers(net, a, step, layers=None):
    """Apply ``step(w, b, a, is_last)`` to the layers (all of them, or the given slice)."""
    pairs = list(zip(net.weights, net.biases))
    chosen = pairs if layers is None else pairs[layers]
    for i, (w, b) in enumerate(chosen):
        a = step(w, b, a, i == len(chosen) - 1)
    return a


def _input_reused(net, a):
    x = a
    for w, b in zip(net.weights, net.biases):
        a = sigmoid(w @ x + b)
    return a


FEEDFORWARD_MISTAKES = (
    Mistake(
        "feedforward.no_bias",
        "your output equals sigma(w . a) without the bias: each layer computes sigmoid(w @ a + b).",
        lambda net, a: _layers(net, a, lambda w, b, a, last: sigmoid(w @ a)),
    ),
    Mistake(
        "feedforward.no_sigmoid",
        "your output equals w . a + b with no sigmoid anywhere: each layer's output is "
        "sigmoid(w @ a + b).",
        lambda net, a: _layers(net, a, lambda w, b, a, last: w @ a + b),
    ),
    Mistake(
        "feedforward.sigmoid_last_only",
        "the sigmoid is applied only at the last layer: every layer, hidden ones too, "
        "outputs sigmoid(w @ a + b).",
        lambda net, a: _layers(
            net, a, lambda w, b, a, last: sigmoid(w @ a + b) if last else w @ a + b
        ),
    ),
    Mistake(
        "feedforward.sigmoid_not_last",
        "the last layer returns w @ a + b without the sigmoid: apply sigmoid in every "
        "layer, the output layer included.",
        lambda net, a: _layers(
            net, a, lambda w, b, a, last: w @ a + b if last else sigmoid(w @ a + b)
        ),
    ),
    Mistake(
        "feedforward.bias_outside",
        "the bias is added after the sigmoid: it belongs inside, sigmoid(w @ a + b).",
        lambda net, a: _layers(net, a, lambda w, b, a, last: sigmoid(w @ a) + b),
    ),
    Mistake(
        "feedforward.weights_transposed",
        "your output equals the network run with transposed weights (w.T @ a): "
        "weights[l] has shape (y, x), so the weighted input is w @ a.",
        lambda net, a: _layers(net, a, lambda w, b, a, last: sigmoid(w.T @ a + b)),
    ),
    Mistake(
        "feedforward.bias_flat",
        "the bias was flattened to shape (y,) (or made a row), so adding it to w @ a "
        "broadcast into a (y, y) or wrongly filled array: keep b a column (y, 1).",
        lambda net, a: _layers(net, a, lambda w, b, a, last: sigmoid(w @ a + b.ravel())),
    ),
    Mistake(
        "feedforward.first_layer_only",
        "only the first layer was applied: is the return inside the loop? Return after "
        "the loop has gone through every layer.",
        lambda net, a: _layers(net, a, lambda w, b, a, last: sigmoid(w @ a + b), slice(0, 1)),
    ),
    Mistake(
        "feedforward.last_layer_skipped",
        "your output is that of the layer before the output layer: the loop stops one "
        "layer early. Go through all of zip(self.biases, self.weights).",
        lambda net, a: _layers(net, a, lambda w, b, a, last: sigmoid(w @ a + b), slice(0, -1)),
    ),
    Mistake(
        "feedforward.input_reused",
        "every layer was applied to the original input: feed each layer's output to the "
        "next one (a = sigmoid(w @ a + b), reusing a).",
        _input_reused,
    ),
)


def _inputs(rng, n, m):
    """m inputs in [0, 1) as columns of an (n, m) array, like pixels."""
    return rng.random((n, m))


def _describe_case(net, a):
    return f"network {net.sizes}, input of shape {a.shape}"


def check_feedforward(obj: Any) -> None:
    """feedforward(self, a) for a single input column (n, 1): first on networks whose
    layers all have the same size (so transposed weights still compute, and show), then on
    networks of different layer sizes, [784, 30, 10] among them."""
    fn = student_function(obj, "feedforward")
    rng, seed = check_rng()
    square = [[n] * k for n, k in zip(rng.integers(2, 6, size=3), (3, 4, 5))]
    general = [[6, 4, 3], [5, 7, 3, 2], [784, 30, 10], [3, 1]]
    for sizes in (square, general):
        cases = [(ReferenceNetwork(s, rng=rng), _inputs(rng, s[0], 1)) for s in sizes]
        compare_function(
            fn,
            reference_feedforward,
            cases,
            FEEDFORWARD_MISTAKES,
            what="feedforward",
            seed=seed,
            describe=_describe_case,
        )


def check_feedforward_batch(obj: Any) -> None:
    """feedforward(self, a) for a batch (n, m), one input per column: every column of the
    output must be the output for that column alone."""
    fn = student_function(obj, "feedforward")
    rng, seed = check_rng()
    n = int(rng.integers(2, 6))
    # First m = n on square networks, where most mistakes still compute, then the rest.
    cases = [
        (ReferenceNetwork([n] * 4, rng=rng), _inputs(rng, n, n)),
        (ReferenceNetwork([n + 1] * 3, rng=rng), _inputs(rng, n + 1, n + 1)),
    ]
    compare_function(
        fn,
        reference_feedforward,
        cases,
        FEEDFORWARD_MISTAKES,
        what="feedforward",
        seed=seed,
        describe=_describe_case,
    )
    cases = [
        (ReferenceNetwork(s, rng=rng), _inputs(rng, s[0], m))
        for s, m in (([6, 4, 3], 5), ([5, 7, 3, 2], 9), ([784, 30, 10], 12), ([3, 8], 1))
    ]
    compare_function(
        fn,
        reference_feedforward,
        cases,
        FEEDFORWARD_MISTAKES,
        what="feedforward",
        seed=seed,
        describe=_describe_case,
    )


# --- evaluate ---------------------------------------------------------------------------


def _hits(net, test_data):
    return [int(np.argmax(net.feedforward(x))) == y for x, y in test_data]


def reference_evaluate(self, test_data: list[tuple[np.ndarray, int]]) -> int:
    """How many (x, label) pairs have argmax(feedforward(x)) == label."""
    return sum(int(np.argmax(self.feedforward(x)) == y) for x, y in test_data)


EVALUATE_MISTAKES = (
    Mistake(
        "evaluate.fraction",
        "you returned the fraction of correct guesses; evaluate returns their number "
        "(an int), and the notebook divides by len(test_data) where it wants a fraction.",
        lambda net, data: sum(_hits(net, data)) / len(data),
    ),
    Mistake(
        "evaluate.per_example",
        "you returned one result per example; evaluate returns how many are right, "
        "one number: add them up.",
        lambda net, data: np.array(_hits(net, data), dtype=int),
    ),
    Mistake(
        "evaluate.wrong_ones",
        "you counted the wrong guesses; count the examples whose guess equals the label.",
        lambda net, data: sum(not h for h in _hits(net, data)),
    ),
    Mistake(
        "evaluate.label_argmax",
        "compare the guess with the label itself, not with np.argmax(label): in test data "
        "the label is the digit (an int), not a one-hot vector, and np.argmax of an int is "
        "always 0, so you counted the images whose guess is 0.",
        lambda net, data: sum(int(np.argmax(net.feedforward(x)) == 0) for x, _ in data),
    ),
    Mistake(
        "evaluate.max_value",
        "the guess is np.argmax(output), the index of the most active output neuron, not "
        "np.max(output), its activation: no guess was counted right.",
        lambda net, data: sum(int(np.max(net.feedforward(x)) == y) for x, y in data),
    ),
)


def _labelled(net, rng, count):
    """(x, label) pairs for ``net``: most labels are the network's own guess (so a
    correct count is large), the others random. The first input strongly excites output
    neuron 0 of a [10, ..., 10] network built by ``_diagonal_network``, so code that
    compares with np.argmax(label) (0 for an int label) counts a guess of 0 there."""
    n_in, n_out = net.sizes[0], net.sizes[-1]
    data = []
    for i in range(count):
        x = rng.random((n_in, 1))
        if i == 0:
            x *= 0.1
            x[0] = 1.0
        guess = int(np.argmax(reference_feedforward(net, x)))
        label = guess if rng.random() < 0.6 else int(rng.integers(n_out))
        data.append((x, label))
    return data


def _diagonal_network(sizes, rng):
    """A network of equal layer sizes whose output neuron j mostly follows input j (so
    its guesses spread over all the digits), with some noise."""
    net = ReferenceNetwork(sizes, rng=rng)
    net.weights = [8 * np.eye(len(w)) + 0.5 * w for w in net.weights]
    net.biases = [-4 + 0.5 * b for b in net.biases]
    return net


def check_evaluate(obj: Any) -> None:
    """evaluate(self, test_data) on lists of (x, label) pairs for random networks."""
    fn = student_function(obj, "evaluate")
    rng, seed = check_rng()
    cases = []
    for sizes, count in (([10, 10], 40), ([10, 10, 10], 25), ([8, 6, 10], 33)):
        if sizes[0] == sizes[-1]:
            net = _diagonal_network(sizes, rng)
        else:
            net = ReferenceNetwork(sizes, rng=rng)
            net.weights = [w / np.sqrt(w.shape[1]) for w in net.weights]
        cases.append((net, _labelled(net, rng, count)))
    results = [call_student(fn, case, "evaluate")[0] for case in cases]
    for r in results:
        if r is None:
            raise CheckFailed("evaluate returned None: return the count.")
    expected = [quietly(reference_evaluate, case) for case in cases]
    variants = [(m, [quietly(m.variant, case) for case in cases]) for m in EVALUATE_MISTAKES]
    judge(results, expected, variants, "evaluate", seed)


# --- vectorized_result ------------------------------------------------------------------


def reference_vectorized_result(j: int) -> np.ndarray:
    """The one-hot column (10, 1) with 1.0 in row j."""
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e


VECTORIZED_RESULT_MISTAKES = (
    Mistake(
        "vectorized_result.flat",
        "the result should be a column of shape (10, 1), like the network's output; yours "
        "is flat, shape (10,): use np.zeros((10, 1)).",
        lambda j: reference_vectorized_result(j).ravel(),
    ),
    Mistake(
        "vectorized_result.row",
        "the result should be a column of shape (10, 1); yours is a row (1, 10).",
        lambda j: reference_vectorized_result(j).T,
    ),
    Mistake(
        "vectorized_result.shifted",
        "the 1.0 is one row too early: digit j goes in row j (rows count from 0), not j - 1.",
        lambda j: reference_vectorized_result((j - 1) % 10),
    ),
    Mistake(
        "vectorized_result.value_j",
        "row j should hold 1.0, not the digit j itself.",
        lambda j: reference_vectorized_result(j) * j,
    ),
)


def check_vectorized_result(fn: Any) -> None:
    """vectorized_result(j) for every digit, in a random order."""
    rng, seed = check_rng()
    cases = [(int(j),) for j in rng.permutation(10)]
    results = [call_student(fn, case, "vectorized_result")[0] for case in cases]
    expected = [as_plain(reference_vectorized_result(*case)) for case in cases]
    variants = [
        (m, [quietly(m.variant, case) for case in cases]) for m in VECTORIZED_RESULT_MISTAKES
    ]
    judge(results, expected, variants, "vectorized_result", seed)


CATALOGUE = INIT_MISTAKES + FEEDFORWARD_MISTAKES + EVALUATE_MISTAKES + VECTORIZED_RESULT_MISTAKES

# The methods of the stand-ins (``self``) that the student's code may call during each
# check, when the grader runs it (handnet_grader.trust.grader_link); any other is not lent.
HELPERS = {"check_evaluate": ("feedforward",)}

CHECKS = {
    "init": check_init,
    "feedforward": check_feedforward,
    "evaluate": check_evaluate,
    "vectorized_result": check_vectorized_result,
}
REFERENCES = {
    "init": reference_init,
    "feedforward": reference_feedforward,
    "evaluate": reference_evaluate,
    "vectorized_result": reference_vectorized_result,
}
