"""Checks for assignment 3, backpropagation: ``cost_derivative``, ``backprop`` (the output
layer, networks with one hidden layer, deeper networks), ``numerical_gradient`` and
``rel_error``.

``backprop`` and ``cost_derivative`` are methods: the student's function is called with a
reference ``handnet_ref.network.Network`` as ``self``, so ``self.cost_derivative`` inside
the student's ``backprop`` is the reference one and a mistake there is not counted twice.
The references are that network's own methods and ``gradcheck``'s centred differences.
Most of backprop's mistakes are the reference's gradients (``matrix.backprop_batch`` on a
batch of one column) changed, or computed with a wrong output error (BP1); those inside
the backward loop (BP2, BP4's activations) are a backprop with that one step wrong.

Networks whose layers all have the same size come first: on them a missing transpose still
computes (and shows), where on other shapes it would only raise.

(Over 300 lines: the checks of one assignment and the catalogue of their
mistakes, each with its hint, kept in one module so that the notebook, this module
and its test file line up.)
"""

from typing import Any

import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..costs import QuadraticCost
from ..gradcheck import network_numerical_gradients
from ..gradcheck import rel_error as reference_rel_error
from ..matrix import backprop_batch
from ..network import Network as ReferenceNetwork
from .core import (
    CheckFailed,
    Mistake,
    call_student,
    check_rng,
    compare_function,
    judge,
    quietly,
    student_function,
)
from .sgd import network_with

ASSIGNMENT = "03_backprop"


def _example(rng, sizes):
    """(x, y): x a column of numbers in [0, 1), y a one-hot column."""
    x = rng.random((sizes[0], 1))
    y = np.zeros((sizes[-1], 1))
    y[rng.integers(sizes[-1])] = 1.0
    return x, y


def _describe(net, x, *rest):
    """The case, as a failure names it: "network [3, 4, 2], x of shape (3, 1)"."""
    return f"network {net.sizes}, x of shape {np.shape(x)}"


# --- cost_derivative --------------------------------------------------------------------


# dC/da for the quadratic cost C = 1/2 ||a - y||^2: a - y.
reference_cost_derivative = ReferenceNetwork.cost_derivative


COST_DERIVATIVE_MISTAKES = (
    Mistake(
        "cost_derivative.sign",
        "your result is y - a; the derivative of 1/2 ||a - y||^2 with respect to a is "
        "a - y (output minus target).",
        lambda net, a, y: y - a,
    ),
    Mistake(
        "cost_derivative.cost",
        "you returned 1/2 (a - y)^2, the cost itself; return its derivative, a - y.",
        lambda net, a, y: 0.5 * (a - y) ** 2,
    ),
    Mistake(
        "cost_derivative.summed",
        "return the column a - y, one entry per output neuron, not its sum.",
        lambda net, a, y: np.sum(a - y),
    ),
    Mistake(
        "cost_derivative.with_sigma_prime",
        "your result includes the factor sigma'(z) = a (1 - a); cost_derivative is only "
        "dC/da = a - y. The sigma' factor comes in backprop (equation BP1).",
        lambda net, a, y: (a - y) * a * (1 - a),
    ),
)


def check_cost_derivative(obj: Any) -> None:
    """cost_derivative(self, output_activations, y) on columns and batches."""
    fn = student_function(obj, "cost_derivative")
    rng, seed = check_rng()
    net = ReferenceNetwork([3, 10], rng=rng)
    cases = []
    for shape in ((10, 1), (3, 1), (10, 6)):
        a = sigmoid(rng.normal(0, 2, size=shape))
        y = (rng.random(shape) < 0.3).astype(float)
        cases.append((net, a, y))
    compare_function(
        fn,
        reference_cost_derivative,
        cases,
        COST_DERIVATIVE_MISTAKES,
        what="cost_derivative",
        seed=seed,
    )


# --- backprop ---------------------------------------------------------------------------


def _gradients(net, x, y, cost=QuadraticCost):
    """(nabla_b, nabla_w) for one example by the reference: ``matrix.backprop_batch`` on a
    batch of one column (the same numbers as ``Network.backprop``), with ``cost`` giving
    the output error of BP1."""
    return backprop_batch(net.weights, net.biases, x, y, cost)


class _OutputErrorWithoutSigmaPrime:
    """A cost whose BP1 forgets sigma'(z^L): delta^L = a - y."""

    @staticmethod
    def delta(z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return a - y


class _OutputErrorSigmaPrimeOfA:
    """A cost whose BP1 takes sigma' of the activations: delta^L = (a - y) sigma'(a)."""

    @staticmethod
    def delta(z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (a - y) * sigmoid_prime(a)


def _only_last_layers(k):
    """The reference's gradients with all but the last ``k`` layers' left at zero."""

    def variant(net, x, y):
        nabla_b, nabla_w = _gradients(net, x, y)
        first = len(nabla_b) - k
        return (
            [g if i >= first else np.zeros(g.shape) for i, g in enumerate(nabla_b)],
            [g if i >= first else np.zeros(g.shape) for i, g in enumerate(nabla_w)],
        )

    return variant


def _nabla_w_transposed(net, x, y):
    """The reference's gradients with every nabla_w transposed (a_prev @ delta.T)."""
    nabla_b, nabla_w = _gradients(net, x, y)
    return nabla_b, [g.T for g in nabla_w]


def _hidden_mistake(
    net,
    x,
    y,
    *,
    cost=QuadraticCost,
    sp_of_a_hidden=False,
    no_sp_hidden=False,
    index_output=False,
    index_hidden=False,
    no_transpose=False,
    weight_index=False,
):
    """Backprop with a mistake in how the error travels back (BP2) or in which activations
    BP4 takes: these change the loop itself, so they cannot be made from the reference's
    output."""
    nabla_b = [np.zeros(b.shape) for b in net.biases]
    nabla_w = [np.zeros(w.shape) for w in net.weights]
    activation, activations, zs = x, [x], []
    for b, w in zip(net.biases, net.weights):
        z = w @ activation + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = cost.delta(zs[-1], activations[-1], y)
    nabla_b[-1] = delta
    nabla_w[-1] = delta @ (activations[-1] if index_output else activations[-2]).T
    for l in range(2, net.num_layers):
        if no_transpose:
            back = net.weights[-l + 1] @ delta
        elif weight_index:
            back = net.weights[-l].T @ delta
        else:
            back = net.weights[-l + 1].T @ delta
        if no_sp_hidden:
            delta = back
        else:
            delta = back * sigmoid_prime(activations[-l] if sp_of_a_hidden else zs[-l])
        nabla_b[-l] = delta
        nabla_w[-l] = delta @ (activations[-l] if index_hidden else activations[-l - 1]).T
    return nabla_b, nabla_w


# (nabla_b, nabla_w) for one example, by equations BP1-BP4: the book's backprop.
reference_backprop = ReferenceNetwork.backprop


def _variant(**flags):
    return lambda net, x, y: _hidden_mistake(net, x, y, **flags)


BACKPROP_MISTAKES = (
    Mistake(
        "backprop.nabla_w_transposed",
        "your nabla_w is transposed: nabla_w[l] has the shape of weights[l], one row per "
        "neuron of its layer, and equals delta @ a_prev.T (BP4), not a_prev @ delta.T.",
        _nabla_w_transposed,
    ),
    Mistake(
        "backprop.sigma_prime_of_activation",
        "you applied sigmoid_prime to the activations a; it takes the weighted inputs z "
        "(keep them in a list zs during the forward pass and use zs[-1], zs[-l]).",
        _variant(cost=_OutputErrorSigmaPrimeOfA, sp_of_a_hidden=True),
    ),
    Mistake(
        "backprop.sigma_prime_of_activation_output",
        "in BP1 you applied sigmoid_prime to the output activations a^L; it takes the "
        "weighted input z^L: delta = cost_derivative(a^L, y) * sigmoid_prime(zs[-1]).",
        lambda net, x, y: _gradients(net, x, y, _OutputErrorSigmaPrimeOfA),
    ),
    Mistake(
        "backprop.no_sigma_prime_bp1",
        "the output error is missing the factor sigma'(z^L) (BP1): delta = "
        "cost_derivative(a^L, y) * sigmoid_prime(zs[-1]).",
        lambda net, x, y: _gradients(net, x, y, _OutputErrorWithoutSigmaPrime),
    ),
    Mistake(
        "backprop.no_sigma_prime_bp2",
        "the hidden layers' errors are missing the factor sigma'(z^l) (BP2): delta = "
        "(weights[-l+1].T @ delta) * sigmoid_prime(zs[-l]).",
        _variant(no_sp_hidden=True),
    ),
    Mistake(
        "backprop.activation_index",
        "in the loop, nabla_w[-l] used the wrong activations: the layer's weights act on "
        "the activations of the layer before it, activations[-l-1], not activations[-l].",
        _variant(index_hidden=True),
    ),
    Mistake(
        "backprop.activation_index_everywhere",
        "nabla_w used each layer's own activations; it needs those of the layer before: "
        "activations[-2] for the output layer, activations[-l-1] in the loop (BP4).",
        _variant(index_output=True, index_hidden=True),
    ),
    Mistake(
        "backprop.no_transpose",
        "the error travels backwards through the transpose of the weights (BP2): "
        "weights[-l+1].T @ delta, not weights[-l+1] @ delta.",
        _variant(no_transpose=True),
    ),
    Mistake(
        "backprop.weight_index",
        "BP2 used the weights of the wrong layer: the error of layer -l comes back "
        "through the weights that layer feeds, weights[-l+1], not weights[-l].",
        _variant(weight_index=True),
    ),
    Mistake(
        "backprop.sign",
        "every gradient has the wrong sign: the output error starts from a - y "
        "(cost_derivative), not y - a.",
        lambda net, x, y: tuple([-g for g in part] for part in _gradients(net, x, y)),
    ),
    Mistake(
        "backprop.swapped_return",
        "return (nabla_b, nabla_w) in that order: the biases' gradients first.",
        lambda net, x, y: _gradients(net, x, y)[::-1],
    ),
    Mistake(
        "backprop.hidden_layers_missing",
        "only the output layer's gradients are filled in; the hidden layers' are still "
        "zero. Loop backwards over l = 2, ..., num_layers - 1 with BP2, BP3 and BP4.",
        _only_last_layers(1),
    ),
    Mistake(
        "backprop.loop_once",
        "only the last hidden layer got its gradients: the loop must go back through "
        "every hidden layer, l = 2, ..., num_layers - 1 (range(2, self.num_layers)).",
        _only_last_layers(2),
    ),
)


def _backprop_cases(rng, square_depths, general):
    """Square networks (all layers of one size) with the given numbers of layers, then
    the given general shapes; two examples each."""
    square = [[int(rng.integers(2, 6))] * k for k in square_depths]
    out = []
    for group in (square, general):
        cases = []
        for sizes in group:
            net = ReferenceNetwork(sizes, rng=rng)
            cases += [(net, *_example(rng, sizes)) for _ in range(2)]
        out.append(cases)
    return out


def _output_layer(result):
    """(nabla_b[-1], nabla_w[-1]) of a backprop result."""
    try:
        first, second = result
        return first[-1], second[-1]
    except Exception:
        raise CheckFailed(
            "backprop should return a pair (nabla_b, nabla_w) of lists, one array per layer."
        ) from None


def _check_backprop(obj, square_depths, general, part=None):
    fn = student_function(obj, "backprop")
    rng, seed = check_rng()
    for cases in _backprop_cases(rng, square_depths, general):
        compare_function(
            fn,
            reference_backprop,
            cases,
            BACKPROP_MISTAKES,
            what="backprop",
            seed=seed,
            describe=_describe,
            part=part,
        )


def check_backprop_output(obj: Any) -> None:
    """The output layer's gradients, nabla_b[-1] and nabla_w[-1] (BP1, BP3, BP4), on
    networks of two to four layers; the hidden layers are not compared."""
    # Besides square networks, shapes whose layers after the input all have one size, so
    # that most mistakes confined to the hidden layers still compute (and cost nothing here).
    _check_backprop(obj, (2, 3, 4), [[4, 3], [2, 6], [5, 3, 3], [6, 4, 4, 4]], _output_layer)


def check_backprop_shallow(obj: Any) -> None:
    """All gradients on networks with one hidden layer (sizes of three entries)."""
    _check_backprop(obj, (3, 3), [[4, 6, 3], [7, 3, 5], [2, 5, 1]])


def check_backprop(obj: Any) -> None:
    """All gradients on deeper networks: two and three hidden layers."""
    _check_backprop(obj, (4, 5), [[4, 6, 5, 3], [3, 5, 4, 6, 2], [8, 3, 7, 2]])


# --- numerical_gradient -----------------------------------------------------------------


# (nabla_b, nabla_w) by centred differences of C = 1/2 ||a - y||^2, each parameter
# perturbed by +h and -h in turn and then restored: the reference's gradient check.
reference_numerical_gradient = network_numerical_gradients


def _scaled(factor, swapped=False):
    """The reference's numerical gradients times ``factor`` (-1 for the wrong sign, 2h for
    a missing division), or returned as (nabla_w, nabla_b) when ``swapped``."""

    def variant(net, x, y, h=1e-5):
        nabla_b, nabla_w = reference_numerical_gradient(net, x, y, h)
        nabla_b = [factor(h) * g for g in nabla_b]
        nabla_w = [factor(h) * g for g in nabla_w]
        return (nabla_w, nabla_b) if swapped else (nabla_b, nabla_w)

    return variant


def _cost(net, x, y):
    return 0.5 * float(np.sum((net.feedforward(x) - y) ** 2))


def _numerical(net, x, y, h, mode):
    """Finite-difference gradients of the quadratic cost with a mistake in the loop over
    the parameters (``mode``: "not_restored", "one_sided" or "whole_array"): these change
    which costs are computed, so they cannot be made from the reference's output as the
    other mistakes are (``_scaled``)."""
    grads = []
    for params in (net.biases, net.weights):
        layer_grads = []
        for p in params:
            g = np.zeros(p.shape)
            if mode == "whole_array":
                old = p.copy()
                p += h
                plus = _cost(net, x, y)
                p -= 2 * h
                minus = _cost(net, x, y)
                p[...] = old
                g[...] = (plus - minus) / (2 * h)
                layer_grads.append(g)
                continue
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                plus = _cost(net, x, y)
                if mode == "one_sided":
                    p[i] = old
                    g[i] = (plus - _cost(net, x, y)) / h
                    continue
                p[i] = old - h
                g[i] = (plus - _cost(net, x, y)) / (2 * h)  # not_restored: p stays old - h
            layer_grads.append(g)
        grads.append(layer_grads)
    return grads[0], grads[1]


NUMERICAL_GRADIENT_MISTAKES = (
    Mistake(
        "numerical_gradient.not_restored",
        "put every parameter back to its old value after computing C(p + h) and "
        "C(p - h), before moving to the next one: the network's parameters were left "
        "changed after the call.",
        lambda net, x, y, h=1e-5: _numerical(net, x, y, h, "not_restored"),
    ),
    Mistake(
        "numerical_gradient.one_sided",
        "use the centred difference (C(p + h) - C(p - h)) / (2h): yours is the "
        "one-sided (C(p + h) - C(p)) / h, whose error shrinks only like h.",
        lambda net, x, y, h=1e-5: _numerical(net, x, y, h, "one_sided"),
    ),
    Mistake(
        "numerical_gradient.no_division",
        "you returned C(p + h) - C(p - h) without dividing by 2h.",
        _scaled(lambda h: 2 * h),
    ),
    Mistake(
        "numerical_gradient.doubled",
        "your gradient is twice the right one: divide by 2h (not h), and take C = "
        "1/2 ||a - y||^2 with its factor 1/2.",
        _scaled(lambda h: 2.0),
    ),
    Mistake(
        "numerical_gradient.sign",
        "your gradient has the wrong sign: (C(p + h) - C(p - h)) / (2h), plus first.",
        _scaled(lambda h: -1.0),
    ),
    Mistake(
        "numerical_gradient.whole_array",
        "perturb one entry at a time (w[j, k] += h) and loop over all of them: every "
        "entry of a layer got the same number, as if the whole array moved at once.",
        lambda net, x, y, h=1e-5: _numerical(net, x, y, h, "whole_array"),
    ),
    Mistake(
        "numerical_gradient.swapped_return",
        "return (nabla_b, nabla_w) in that order: the biases' gradients first.",
        _scaled(lambda h: 1.0, swapped=True),
    ),
)


def check_numerical_gradient(fn: Any) -> None:
    """numerical_gradient(net, x, y, h) on small networks with h = 1e-3 and 1e-4 (large
    enough that a one-sided difference shows): the same numbers as the reference's centred
    differences, and the network's parameters unchanged afterwards."""
    rng, seed = check_rng()
    cases = []
    for sizes, h in (([3, 4, 2], 1e-3), ([2, 3, 3, 2], 1e-3), ([4, 2], 1e-4)):
        net = ReferenceNetwork(sizes, rng=rng)
        cases.append((net, *_example(rng, sizes), h))
    results = []
    for net, x, y, h in cases:
        mine = network_with(net.weights, net.biases)
        what = f"numerical_gradient ({_describe(net, x)}, h = {h:g})"
        results.append(
            call_student(
                lambda: fn(mine, x.copy(), y.copy(), h),  # noqa: B023 (called at once)
                (),
                what,
            )[0]
        )
        if not all(
            np.allclose(p, q, rtol=1e-12, atol=1e-15)
            for p, q in zip(mine.weights + mine.biases, net.weights + net.biases)
        ):
            raise CheckFailed(f"numerical_gradient: {NUMERICAL_GRADIENT_MISTAKES[0].hint}")
    expected = [quietly(reference_numerical_gradient, case) for case in cases]
    variants = [
        (m, [quietly(m.variant, case) for case in cases]) for m in NUMERICAL_GRADIENT_MISTAKES[1:]
    ]
    judge(results, expected, variants, "numerical_gradient", seed, rtol=1e-6, atol=1e-9)


# --- rel_error --------------------------------------------------------------------------


REL_ERROR_MISTAKES = (
    Mistake(
        "rel_error.absolute",
        "you returned the absolute error ||a - b||; divide it by ||a|| + ||b|| so that "
        "the result does not depend on the size of the gradients.",
        lambda a, b: float(np.linalg.norm(a - b)),
    ),
    Mistake(
        "rel_error.one_sided",
        "divide by ||a|| + ||b||, not by the norm of one of the two: the relative error "
        "should not depend on which array comes first.",
        lambda a, b: float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-12)),
    ),
    Mistake(
        "rel_error.squared",
        "use the norms themselves, ||v|| = sqrt(sum of squares) (np.linalg.norm), not "
        "the sums of squares.",
        lambda a, b: float(np.sum((a - b) ** 2) / max(np.sum(a**2) + np.sum(b**2), 1e-12)),
    ),
    Mistake(
        "rel_error.entrywise",
        "compute one number from the norms of the whole arrays, ||a - b|| / (||a|| + "
        "||b||), not the largest entry-by-entry ratio.",
        lambda a, b: float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))),
    ),
    Mistake(
        "rel_error.no_guard",
        "when both arrays are zero the result should be 0, not nan: keep the "
        "denominator away from 0, e.g. max(||a|| + ||b||, 1e-12).",
        lambda a, b: float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))),
    ),
)


def check_rel_error(fn: Any) -> None:
    """rel_error(a, b) on random arrays of several shapes, near and far apart, and on
    two arrays of zeros."""
    rng, seed = check_rng()
    a = rng.normal(size=(3, 4))
    cases = [
        (a, a + rng.normal(scale=1e-3, size=a.shape)),
        (rng.normal(size=(5, 1)), rng.normal(size=(5, 1))),
        (rng.normal(size=7) * 1e-2, rng.normal(size=7) * 1e-2),
        (-a, a * rng.uniform(0.5, 2)),
        (np.zeros((2, 3)), np.zeros((2, 3))),
    ]
    # rtol 1e-4: any small guard in the denominator (1e-12, 1e-8) is fine.
    compare_function(
        fn,
        reference_rel_error,
        cases,
        REL_ERROR_MISTAKES,
        what="rel_error",
        seed=seed,
        rtol=1e-4,
        atol=1e-12,
    )


CATALOGUE = (
    COST_DERIVATIVE_MISTAKES + BACKPROP_MISTAKES + NUMERICAL_GRADIENT_MISTAKES + REL_ERROR_MISTAKES
)

# The methods of the stand-ins (``self``) that the student's code may call during each
# check, when the grader runs it (handnet_grader.trust.grader_link); any other is not lent.
HELPERS = {
    "check_backprop_output": ("cost_derivative",),
    "check_backprop_shallow": ("cost_derivative",),
    "check_backprop": ("cost_derivative",),
    "check_numerical_gradient": ("feedforward", "fn"),
}

CHECKS = {
    "cost_derivative": check_cost_derivative,
    "backprop": check_backprop,
    "numerical_gradient": check_numerical_gradient,
    "rel_error": check_rel_error,
}
REFERENCES = {
    "cost_derivative": reference_cost_derivative,
    "backprop": reference_backprop,
    "numerical_gradient": reference_numerical_gradient,
    "rel_error": reference_rel_error,
}
