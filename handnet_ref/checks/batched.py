"""Checks for assignment 5, matrix-based mini-batch backprop: ``backprop_matrix`` and
``update_mini_batch_matrix``, and the answer to the notebook's question.

Both are methods, run with a reference network as ``self``. ``backprop_matrix(self, X, Y)``
must return the gradients summed over the batch's columns, shaped like the biases and
weights. ``update_mini_batch_matrix`` runs on a network whose ``backprop_matrix`` is the
reference's and records how it is called: once per mini-batch, with the examples as the
columns of X (n_0, m) and Y (n_L, m), and never the per-example ``backprop``.

(Over 300 lines: the checks of one assignment and the catalogue of their
mistakes, each with its hint, kept in one module so that the notebook, this module
and its test file line up.)
"""

import copy
from typing import Any

import numpy as np

from ..matrix import backprop_batch
from ..network import Network as ReferenceNetwork
from .core import CheckFailed, Mistake, call_student, check_rng, compare_function, judge, quietly
from .sgd import Misuse, check_choice, network_with, parameters_of, summed_gradients

ASSIGNMENT = "05_matrix"

# --- backprop_matrix -------------------------------------------------------------------


def reference_backprop_matrix(
    self, X: np.ndarray, Y: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(nabla_b, nabla_w) summed over the columns of X (n_0, m) and Y (n_L, m)."""
    return backprop_batch(self.weights, self.biases, X, Y)


def _deltas(net, X, Y):
    """The errors delta^l (n_l, m) of every layer, one column per example: column j is the
    reference's nabla_b^l for example j alone."""
    per_example = [
        backprop_batch(net.weights, net.biases, X[:, [j]], Y[:, [j]])[0] for j in range(X.shape[1])
    ]
    return [np.hstack(layer) for layer in zip(*per_example)]


def _backprop_variant(bias=None, weight=lambda nabla_w: nabla_w, mean=False):
    """backprop_matrix computed by the reference (``matrix.backprop_batch``), then changed:
    nabla_b^l = bias(delta^l) when ``bias`` is given, nabla_w^l = weight(the right
    nabla_w^l), both divided by m when ``mean``."""

    def backprop_matrix(self, X, Y):
        nabla_b, nabla_w = backprop_batch(self.weights, self.biases, X, Y)
        if bias is not None:
            nabla_b = [bias(d) for d in _deltas(self, X, Y)]
        scale = X.shape[1] if mean else 1
        return [nb / scale for nb in nabla_b], [weight(nw) / scale for nw in nabla_w]

    return backprop_matrix


BACKPROP_MATRIX_MISTAKES = (
    Mistake(
        "backprop_matrix.bias_not_summed",
        "sum delta over the examples, delta.sum(axis=1, keepdims=True): your nabla_b holds "
        "one column per example (shape (n, m)) instead of the shape (n, 1) of the biases.",
        _backprop_variant(bias=lambda d: d),
    ),
    Mistake(
        "backprop_matrix.bias_flat",
        "keep nabla_b a column with keepdims=True, delta.sum(axis=1, keepdims=True): yours "
        "has shape (n,) instead of (n, 1), so b - eta * nabla_b would not keep the shape "
        "of b.",
        _backprop_variant(bias=lambda d: d.sum(axis=1)),
    ),
    Mistake(
        "backprop_matrix.wrong_axis",
        "sum over the examples, axis=1 (keepdims=True): your nabla_b was summed over the "
        "neurons (axis 0), but the examples are the columns.",
        _backprop_variant(bias=lambda d: d.sum(axis=0, keepdims=True)),
    ),
    Mistake(
        "backprop_matrix.mean",
        "return the sums, not the means: your gradients are averaged over the batch "
        "(divided by m), and update_mini_batch_matrix divides by m itself.",
        _backprop_variant(mean=True),
    ),
    Mistake(
        "backprop_matrix.nabla_w_transposed",
        "transpose your nabla_w: nabla_w^l = delta^l (a^(l-1))^T, i.e. delta @ a_prev.T, "
        "which has the shape of weights[l] (n_l, n_(l-1)).",
        _backprop_variant(weight=lambda nabla_w: nabla_w.T),
    ),
)


def _sizes(rng):
    """2 to 4 layers of 2..7 neurons, consecutive sizes different."""
    n_layers = int(rng.integers(2, 4))
    return [int(s) for s in rng.choice(np.arange(2, 8), size=n_layers + 1, replace=False)]


def _parameters(rng, sizes):
    weights = [rng.normal(0, 1, size=(b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 1, size=(b, 1)) for b in sizes[1:]]
    return weights, biases


def _on_network(method):
    """A function (weights, biases, X, Y) -> method(network with those parameters, X, Y)."""
    return lambda weights, biases, X, Y: method(network_with(weights, biases), X, Y)


def check_backprop_matrix(obj: Any) -> None:
    """backprop_matrix(self, X, Y) on random small networks, batches of 8 to 11 columns
    (more than any layer has neurons, so misplaced axes show) and one of a single column."""
    fn = getattr(obj, "backprop_matrix", obj)
    rng, seed = check_rng()
    cases = []
    for m in [int(rng.integers(8, 12)) for _ in range(3)] + [1]:
        sizes = _sizes(rng)
        weights, biases = _parameters(rng, sizes)
        cases.append(
            (weights, biases, rng.normal(0, 1, size=(sizes[0], m)), rng.random((sizes[-1], m)))
        )
    mistakes = [Mistake(m.key, m.hint, _on_network(m.variant)) for m in BACKPROP_MATRIX_MISTAKES]
    compare_function(
        _on_network(fn),
        _on_network(reference_backprop_matrix),
        cases,
        mistakes,
        what="backprop_matrix",
        seed=seed,
    )


# --- update_mini_batch_matrix ----------------------------------------------------------


class _RecordingNetwork(ReferenceNetwork):
    """A reference network whose backprop_matrix checks the shapes it is given and whose
    calls (of backprop_matrix and of the per-example backprop) are written down."""

    _batch_size = None

    def backprop_matrix(
        self, X: np.ndarray, Y: np.ndarray
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        self._log.append("backprop_matrix")
        X, Y = np.asarray(X), np.asarray(Y)
        n_in, n_out, m = self.sizes[0], self.sizes[-1], self._batch_size
        if X.shape == (m, n_in) or (X.ndim == 3 and X.shape[0] == m):
            raise Misuse(_ROWS_HINT)
        if X.shape != (n_in, m) or Y.shape != (n_out, m):
            raise Misuse(
                f"backprop_matrix should be given X of shape ({n_in}, {m}) and Y of "
                f"shape ({n_out}, {m}) for this mini-batch of {m} examples; it got X "
                f"of shape {X.shape} and Y of shape {Y.shape}. Put the examples side "
                f"by side as columns: X = np.hstack([x for x, y in mini_batch])."
            )
        return backprop_batch(self.weights, self.biases, X, Y)

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        self._log.append("backprop")
        return super().backprop(x, y)


def _run_update(method, weights, biases, mini_batch, eta):
    """The recording network after method(net, mini_batch, eta)."""
    net = network_with(weights, biases, _RecordingNetwork)
    net._log, net._batch_size = [], len(mini_batch)
    method(net, mini_batch, eta)
    return net


def _stack(mini_batch):
    return np.hstack([x for x, _ in mini_batch]), np.hstack([y for _, y in mini_batch])


def reference_update_mini_batch_matrix(
    self, mini_batch: list[tuple[np.ndarray, np.ndarray]], eta: float
) -> None:
    """One gradient step from the whole mini-batch at once, by backprop_matrix."""
    X, Y = _stack(mini_batch)
    nabla_b, nabla_w = self.backprop_matrix(X, Y)
    m = len(mini_batch)
    self.weights = [w - (eta / m) * nw for w, nw in zip(self.weights, nabla_w)]
    self.biases = [b - (eta / m) * nb for b, nb in zip(self.biases, nabla_b)]


def _update_variant(
    step_w=lambda w, nw, eta, m: w - (eta / m) * nw,
    step_b=lambda b, nb, eta, m: b - (eta / m) * nb,
    stack=_stack,
    per_example=False,
):
    def update_mini_batch_matrix(self, mini_batch, eta):
        if per_example:
            nabla_b, nabla_w = summed_gradients(self, mini_batch)
        else:
            nabla_b, nabla_w = self.backprop_matrix(*stack(mini_batch))
        m = len(mini_batch)
        self.weights = [step_w(w, nw, eta, m) for w, nw in zip(self.weights, nabla_w)]
        self.biases = [step_b(b, nb, eta, m) for b, nb in zip(self.biases, nabla_b)]

    return update_mini_batch_matrix


_ROWS_HINT = (
    "stack the examples as columns, X = np.hstack([x for x, y in mini_batch]) (and "
    "the same for Y): yours were stacked as rows, but X should have shape (n_0, m)."
)
_PER_EXAMPLE_HINT = (
    "call self.backprop_matrix(X, Y) once, on the stacked mini-batch: your "
    "code called the per-example self.backprop."
)

UPDATE_MINI_BATCH_MATRIX_MISTAKES = (
    Mistake(
        "update_mini_batch_matrix.rows",
        _ROWS_HINT,
        _update_variant(
            stack=lambda mb: (np.vstack([x.T for x, _ in mb]), np.vstack([y.T for _, y in mb]))
        ),
    ),
    Mistake(
        "update_mini_batch_matrix.per_example", _PER_EXAMPLE_HINT, _update_variant(per_example=True)
    ),
    Mistake(
        "update_mini_batch_matrix.not_averaged",
        "divide the step by the mini-batch size, w - (eta / len(mini_batch)) * nabla_w: "
        "backprop_matrix returns sums, so your step is m times too large.",
        _update_variant(
            step_w=lambda w, nw, eta, m: w - eta * nw, step_b=lambda b, nb, eta, m: b - eta * nb
        ),
    ),
    Mistake(
        "update_mini_batch_matrix.sign",
        "subtract the gradient step, w - (eta / m) * nabla_w, do not add it: your "
        "parameters move uphill (the cost grows).",
        _update_variant(
            step_w=lambda w, nw, eta, m: w + (eta / m) * nw,
            step_b=lambda b, nb, eta, m: b + (eta / m) * nb,
        ),
    ),
    Mistake(
        "update_mini_batch_matrix.biases_not_updated",
        "update the biases too, b - (eta / m) * nabla_b: yours did not change.",
        _update_variant(step_b=lambda b, nb, eta, m: b),
    ),
)
_NUMERIC_MISTAKES = UPDATE_MINI_BATCH_MATRIX_MISTAKES[2:]


def check_update_mini_batch_matrix(obj: Any) -> None:
    """update_mini_batch_matrix(self, mini_batch, eta) on random small networks and
    mini-batches of 8 to 11 examples, with a recording reference network as ``self``."""
    fn = getattr(obj, "update_mini_batch_matrix", obj)
    rng, seed = check_rng()
    cases = []
    for _ in range(3):
        sizes = _sizes(rng)
        weights, biases = _parameters(rng, sizes)
        batch = [
            (rng.normal(0, 1, size=(sizes[0], 1)), rng.random((sizes[-1], 1)))
            for _ in range(int(rng.integers(8, 12)))
        ]
        cases.append((weights, biases, batch, float(rng.uniform(0.5, 3.0))))
    what = "update_mini_batch_matrix"
    nets = [
        call_student(
            lambda *case: _run_update(fn, *case), copy.deepcopy(case), what, copy_args=False
        )[0]
        for case in cases
    ]
    for net in nets:
        if "backprop" in net._log:
            raise CheckFailed(f"{what}: {_PER_EXAMPLE_HINT}")
        if net._log.count("backprop_matrix") != 1:
            raise CheckFailed(
                f"{what} should call self.backprop_matrix once per mini-batch; "
                f"it called it {net._log.count('backprop_matrix')} times."
            )
    after = lambda net: parameters_of(net, after=what)
    results = [after(net) for net in nets]
    run = lambda method: lambda *case: after(_run_update(method, *case))
    expected = [quietly(run(reference_update_mini_batch_matrix), case) for case in cases]
    variants = [(m, [quietly(run(m.variant), case) for case in cases]) for m in _NUMERIC_MISTAKES]
    judge(results, expected, variants, "the (weights, biases) after update_mini_batch_matrix", seed)


# --- the notebook's question -------------------------------------------------------------


QUESTIONS = {
    "speedup_answer": (
        "b",
        {
            "a": "both versions do the same arithmetic: the matrix products add up exactly the "
            "terms that the loop adds one example at a time (which is why the gradients "
            "agree to about 1e-15).",
            "c": "NumPy computes on the processor (CPU) only; no graphics card is involved.",
            "d": "every example contributes to the gradient in both versions; that is why the "
            "gradients agree.",
        },
    ),
}


def check_speedup_answer(answer: Any) -> None:
    """The answer to: why is the matrix version faster at a mini-batch of 10?"""
    check_choice("speedup_answer", answer, QUESTIONS)


CATALOGUE = BACKPROP_MATRIX_MISTAKES + UPDATE_MINI_BATCH_MATRIX_MISTAKES
# The methods of the stand-ins (``self``) that the student's code may call during each
# check, when the grader runs it (handnet_grader.trust.grader_link); any other is not lent.
HELPERS = {
    "check_backprop_matrix": ("cost_derivative",),
    "check_update_mini_batch_matrix": ("backprop_matrix", "backprop"),
}

CHECKS = {
    "backprop_matrix": check_backprop_matrix,
    "update_mini_batch_matrix": check_update_mini_batch_matrix,
}
REFERENCES = {
    "backprop_matrix": reference_backprop_matrix,
    "update_mini_batch_matrix": reference_update_mini_batch_matrix,
}
