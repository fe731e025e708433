"""Checks for assignment 6, improving the way networks learn: the quadratic cost's delta,
one neuron trained by gradient descent, the cross-entropy cost and its delta, the L2
update of a mini-batch, the monitored total cost and accuracy, early stopping, the
N(0, 1/n_in) weight initialiser, and saving / loading a network as JSON.

The notebook's network is matrix-based: data is ``(X, labels)`` with X of shape
(n_in, N), one example per column; ``backprop(X, Y)`` returns the gradients summed over
the columns of a mini-batch. Methods are checked with ``_Net`` as ``self``, a reference
network with exactly that interface, so each check tests one method of the student's.
"""

import copy
import json
import os
import tempfile

import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..costs import CrossEntropyCost, QuadraticCost
from ..matrix import backprop_batch
from .core import (CheckFailed, Mistake, as_plain, call_student, check_rng,
                   compare_function, judge, student_function)

ASSIGNMENT = "06_improving"

COST_CLASSES = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost}


class _Net:
    """A reference network as ``self`` for one of the student's methods: ``sizes``,
    ``num_layers``, ``weights``, ``biases``, ``cost``, ``feedforward(X)`` and
    ``backprop(X, Y)`` (gradients summed over the columns of a batch)."""

    def __init__(self, sizes, weights=None, biases=None, cost=CrossEntropyCost):
        self.sizes = list(sizes)
        self.num_layers = len(sizes)
        self.weights = weights
        self.biases = biases
        self.cost = cost

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def backprop(self, X, Y):
        return backprop_batch(self.weights, self.biases, X, Y, self.cost)


def _one_hot(labels, n):
    Y = np.zeros((n, len(labels)))
    Y[labels, np.arange(len(labels))] = 1.0
    return Y


def _random_parameters(rng, sizes, scale=1.0):
    weights = [rng.normal(0, scale, size=(y, x)) for x, y in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 1, size=(y, 1)) for y in sizes[1:]]
    return weights, biases




def _as_method_check(mistakes, run):
    """The mistakes with each variant wrapped by ``run`` (which builds ``self``)."""
    return tuple(Mistake(m.key, m.hint, lambda *case, v=m.variant: run(v, *case))
                 for m in mistakes)


# --- 1. the quadratic cost's delta and one neuron ---------------------------------------


def reference_quadratic_delta(z, a, y):
    """(a - y) * sigma'(z)."""
    return (a - y) * sigmoid_prime(z)


QUADRATIC_DELTA_MISTAKES = (
    Mistake("quadratic_delta.no_sigma_prime",
            "your delta is a - y, without the factor sigma'(z): that is the cross-entropy "
            "delta. For the quadratic cost, multiply by sigmoid_prime(z).",
            lambda z, a, y: a - y),
    Mistake("quadratic_delta.sigma_prime_of_a",
            "you multiplied by sigmoid_prime(a); the derivative is taken at the weighted "
            "input: sigmoid_prime(z).",
            lambda z, a, y: (a - y) * sigmoid_prime(a)),
    Mistake("quadratic_delta.sign",
            "your delta has the wrong sign: it is (a - y) * sigma'(z), not (y - a) * sigma'(z).",
            lambda z, a, y: (y - a) * sigmoid_prime(z)),
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


def check_quadratic_delta(obj):
    """QuadraticCost.delta(z, a, y) on random batches with a = sigma(z)."""
    fn = student_function(obj, "delta")
    rng, seed = check_rng()
    compare_function(fn, reference_quadratic_delta, _delta_cases(rng), QUADRATIC_DELTA_MISTAKES,
                     what="QuadraticCost.delta", seed=seed)


def _train_neuron(cost, w, b, x, y, eta, epochs, delta=None, sign=1.0, use_x=True):
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


def reference_train_neuron(cost, w, b, x, y, eta, epochs):
    """Outputs of one sigmoid neuron before training and after each of ``epochs`` steps."""
    return _train_neuron(cost, w, b, x, y, eta, epochs)


TRAIN_NEURON_MISTAKES = (
    Mistake("train_neuron.no_x",
            "the weight's gradient is delta * x: you left out the input x in the update of w "
            "(it makes no difference only when x = 1).",
            lambda cost, w, b, x, y, eta, epochs: _train_neuron(cost, w, b, x, y, eta, epochs,
                                                                use_x=False)),
    Mistake("train_neuron.sign",
            "your neuron climbs the cost instead of descending it: subtract eta times the "
            "gradient, w - eta * delta * x and b - eta * delta.",
            lambda cost, w, b, x, y, eta, epochs: _train_neuron(cost, w, b, x, y, eta, epochs,
                                                                sign=-1.0)),
    Mistake("train_neuron.no_start",
            "the first number should be the output before any training, followed by the "
            "output after each step (epochs + 1 numbers); yours starts after the first step.",
            lambda cost, w, b, x, y, eta, epochs: _train_neuron(cost, w, b, x, y, eta,
                                                                epochs)[1:]),
    Mistake("train_neuron.before_step",
            "you recorded the output before each step; record it after each step, and once "
            "before the first (epochs + 1 numbers in all).",
            lambda cost, w, b, x, y, eta, epochs: _train_neuron(cost, w, b, x, y, eta,
                                                                epochs)[:-1]),
    Mistake("train_neuron.quadratic_always",
            "your neuron learns with the quadratic delta whatever cost it is given: call "
            "cost.delta(z, a, y).",
            lambda cost, w, b, x, y, eta, epochs: _train_neuron(
                cost, w, b, x, y, eta, epochs, delta=reference_quadratic_delta)),
    Mistake("train_neuron.cross_entropy_always",
            "your neuron learns with delta = a - y whatever cost it is given: call "
            "cost.delta(z, a, y).",
            lambda cost, w, b, x, y, eta, epochs: _train_neuron(
                cost, w, b, x, y, eta, epochs, delta=lambda z, a, y: a - y)),
)


def check_train_neuron(train_neuron):
    """train_neuron(cost, w, b, x, y, eta, epochs) for both costs and random settings."""
    if not callable(train_neuron):
        raise CheckFailed("train_neuron: expected a function.")
    rng, seed = check_rng()
    cases = []
    for cost in (QuadraticCost, CrossEntropyCost, QuadraticCost, CrossEntropyCost):
        x = float(rng.choice([-1, 1]) * rng.uniform(0.3, 2.5))
        cases.append((cost, float(rng.normal(0, 2)), float(rng.normal(0, 2)), x,
                      float(rng.choice([0.0, 1.0, rng.uniform(0.1, 0.9)])),
                      float(rng.uniform(0.05, 0.8)), int(rng.integers(3, 15))))
    as_array = lambda *case: np.asarray(train_neuron(*case), dtype=float)
    compare_function(as_array, reference_train_neuron, cases, TRAIN_NEURON_MISTAKES,
                     what="train_neuron", seed=seed)


# --- 2. the cross-entropy cost ----------------------------------------------------------


def _cross_entropy_terms(a, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -y * np.log(a) - (1 - y) * np.log(1 - a)


def reference_cross_entropy_fn(a, y):
    """-sum [y ln a + (1 - y) ln(1 - a)], with 0 ln 0 counted as 0."""
    return float(np.sum(np.nan_to_num(_cross_entropy_terms(a, y))))


def reference_cross_entropy_delta(z, a, y):
    """a - y."""
    return a - y


CROSS_ENTROPY_FN_MISTAKES = (
    Mistake("cross_entropy_fn.sign",
            "your cost is negative: the logarithms of numbers below 1 are negative, so the "
            "cost needs the minus sign in front: -sum [y ln a + (1 - y) ln(1 - a)].",
            lambda a, y: -reference_cross_entropy_fn(a, y)),
    Mistake("cross_entropy_fn.one_term",
            "you left out the term (1 - y) ln(1 - a): the cost is -sum [y ln a + (1 - y) "
            "ln(1 - a)], which also punishes an output a > 0 where y = 0.",
            lambda a, y: float(np.sum(np.nan_to_num(-y * np.log(a))))),
    Mistake("cross_entropy_fn.no_nan_to_num",
            "your cost is nan when an output is exactly 0 or 1 and matches its target: "
            "0 * ln 0 gives nan in NumPy; wrap the elementwise terms in np.nan_to_num "
            "before summing.",
            lambda a, y: float(np.sum(_cross_entropy_terms(a, y)))),
    Mistake("cross_entropy_fn.nan_to_num_after_sum",
            "np.nan_to_num must be applied to the elementwise terms, before the sum: applied "
            "to the sum, one 0 * ln 0 turns the whole cost into nan and then into 0.",
            lambda a, y: float(np.nan_to_num(np.sum(_cross_entropy_terms(a, y))))),
    Mistake("cross_entropy_fn.mean",
            "sum the terms (np.sum), do not average them: the cost is a sum over the output "
            "neurons and the examples (total_cost divides by the number of examples later).",
            lambda a, y: float(np.mean(np.nan_to_num(_cross_entropy_terms(a, y))))),
)

CROSS_ENTROPY_DELTA_MISTAKES = (
    Mistake("cross_entropy_delta.quadratic",
            "you multiplied by sigma'(z): that is the quadratic cost's delta. With the "
            "cross-entropy the sigma'(z) cancels and delta is simply a - y.",
            reference_quadratic_delta),
    Mistake("cross_entropy_delta.sign",
            "your delta has the wrong sign: it is a - y, not y - a.",
            lambda z, a, y: y - a),
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


def check_cross_entropy_fn(obj):
    """CrossEntropyCost.fn(a, y) on random batches, one of them with exact 0s and 1s."""
    fn = student_function(obj, "fn")
    rng, seed = check_rng()
    compare_function(fn, reference_cross_entropy_fn, _cost_cases(rng), CROSS_ENTROPY_FN_MISTAKES,
                     what="CrossEntropyCost.fn", seed=seed)


def check_cross_entropy_edges(obj):
    """CrossEntropyCost.fn where outputs are exactly 0 or 1: 0 ln 0 counts as 0, and no
    warning is printed."""
    fn = student_function(obj, "fn")
    a = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    result, caught = call_student(fn, (a, y), "CrossEntropyCost.fn")
    if caught:
        raise CheckFailed(
            f"CrossEntropyCost.fn warned for outputs of exactly 0 or 1 "
            f"({caught[0].category.__name__}: {caught[0].message}); a warning is printed to "
            "stderr, and graded cells must stay clean. Compute the logarithms inside "
            "`with np.errstate(divide='ignore', invalid='ignore'):` and then apply "
            "np.nan_to_num.")
    judge([result], [as_plain(reference_cross_entropy_fn(a, y))], (),
          "CrossEntropyCost.fn with outputs of exactly 0 and 1")


def check_cross_entropy_delta(obj):
    """CrossEntropyCost.delta(z, a, y) on random batches with a = sigma(z)."""
    fn = student_function(obj, "delta")
    rng, seed = check_rng()
    compare_function(fn, reference_cross_entropy_delta, _delta_cases(rng),
                     CROSS_ENTROPY_DELTA_MISTAKES, what="CrossEntropyCost.delta", seed=seed)


# --- 3. the L2 update -------------------------------------------------------------------


def _run_update(fn, sizes, weights, biases, X, Y, eta, lmbda, n):
    net = _Net(sizes, weights, biases)
    fn(net, X, Y, eta, lmbda, n)
    return [*net.weights, *net.biases]


def _update(self, X, Y, eta, lmbda, n, decay=None, bias_decay=False, per=None, sign=1.0,
            after=False):
    nabla_b, nabla_w = self.backprop(X, Y)
    m = X.shape[1]
    decay = 1 - eta * lmbda / n if decay is None else decay
    step = eta / (m if per is None else per)
    if after:
        self.weights = [decay * (w - step * nw) for w, nw in zip(self.weights, nabla_w)]
    else:
        self.weights = [decay * w - sign * step * nw for w, nw in zip(self.weights, nabla_w)]
    self.biases = [(decay if bias_decay else 1.0) * b - sign * step * nb
                   for b, nb in zip(self.biases, nabla_b)]


def reference_update_mini_batch(self, X, Y, eta, lmbda, n):
    """w -> (1 - eta lmbda / n) w - (eta / m) nabla_w; b -> b - (eta / m) nabla_b."""
    _update(self, X, Y, eta, lmbda, n)


UPDATE_MISTAKES = (
    Mistake("l2_update.biases_decay",
            "you shrank the biases too: weight decay applies to the weights only; update the "
            "biases with b - (eta / m) * nabla_b.",
            lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n,
                                                      bias_decay=True)),
    Mistake("l2_update.lambda_over_m",
            "your decay factor divides lmbda by the mini-batch size m; it is "
            "1 - eta * lmbda / n, with n the size of the whole training set.",
            lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n,
                                                      decay=1 - eta * lmbda / X.shape[1])),
    Mistake("l2_update.no_n",
            "your decay factor is 1 - eta * lmbda; it is 1 - eta * lmbda / n, with n the "
            "size of the whole training set.",
            lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n,
                                                      decay=1 - eta * lmbda)),
    Mistake("l2_update.no_eta",
            "your decay factor is 1 - lmbda / n; the decay is a gradient step too, so it is "
            "1 - eta * lmbda / n.",
            lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n,
                                                      decay=1 - lmbda / n)),
    Mistake("l2_update.decay_sign",
            "your weights grow: the factor is 1 - eta * lmbda / n (a minus), which shrinks them.",
            lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n,
                                                      decay=1 + eta * lmbda / n)),
    Mistake("l2_update.not_averaged",
            "the gradient step is eta / m times the summed gradient, with m = X.shape[1] "
            "examples in the mini-batch; you did not divide by m.",
            lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n, per=1)),
    Mistake("l2_update.decay_after",
            "you applied the decay after the gradient step, (1 - eta lmbda / n)(w - eta/m "
            "nabla_w); decay the old weights only: (1 - eta lmbda / n) w - (eta / m) nabla_w.",
            lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n, after=True)),
    Mistake("l2_update.sign",
            "your step goes uphill: subtract (eta / m) times the gradient.",
            lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n, sign=-1.0)),
)


def check_l2_update(obj):
    """update_mini_batch(self, X, Y, eta, lmbda, n): one L2-regularised step, on random
    networks and batches, with ``self`` a reference network (its backprop is right)."""
    fn = student_function(obj, "update_mini_batch")
    rng, seed = check_rng()
    cases = []
    for sizes, lmbda in [([5, 4, 3], float(rng.uniform(1, 8))), ([6, 3], float(rng.uniform(1, 8))),
                         ([4, 5, 3, 2], float(rng.uniform(1, 8))), ([5, 4, 3], 0.0)]:
        weights, biases = _random_parameters(rng, sizes)
        m = int(rng.integers(2, 7))
        X = rng.random((sizes[0], m))
        Y = _one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1])
        cases.append((sizes, weights, biases, X, Y, float(rng.uniform(0.2, 0.8)), lmbda,
                      int(rng.integers(20, 80))))
    compare_function(lambda *case: _run_update(fn, *case),
                     lambda *case: _run_update(reference_update_mini_batch, *case), cases,
                     _as_method_check(UPDATE_MISTAKES, _run_update),
                     what="update_mini_batch (the new weights, then the new biases)", seed=seed)


# --- 4. monitoring ----------------------------------------------------------------------


def _run_total_cost(fn, sizes, weights, biases, cost, X, labels, lmbda):
    return fn(_Net(sizes, weights, biases, cost), (X, labels), lmbda)


def _total_cost(self, data, lmbda, average=True, l2=lambda w: np.sum(w ** 2), factor=0.5,
                per_n=True, biases=False):
    X, labels = data
    n = X.shape[1]
    cost = self.cost.fn(self.feedforward(X), _one_hot(labels, self.sizes[-1]))
    params = self.weights + (self.biases if biases else [])
    penalty = factor * lmbda * sum(float(l2(w)) for w in params) / (n if per_n else 1)
    return cost / (n if average else 1) + penalty


def reference_total_cost(self, data, lmbda):
    """Mean cost over the examples plus lmbda / (2n) times the sum of squared weights."""
    return _total_cost(self, data, lmbda)


TOTAL_COST_MISTAKES = (
    Mistake("total_cost.no_l2",
            "your total cost leaves out the regularisation term: add "
            "0.5 * (lmbda / n) * (the sum of the squares of all the weights).",
            lambda self, data, lmbda: _total_cost(self, data, lmbda, factor=0.0)),
    Mistake("total_cost.no_half",
            "your L2 term is lmbda / n * sum of w^2; it has a factor 1/2: lmbda / (2n) * sum w^2.",
            lambda self, data, lmbda: _total_cost(self, data, lmbda, factor=1.0)),
    Mistake("total_cost.l2_not_per_n",
            "your L2 term is not divided by n, the number of examples in the data: it is "
            "lmbda / (2n) * sum w^2.",
            lambda self, data, lmbda: _total_cost(self, data, lmbda, per_n=False)),
    Mistake("total_cost.biases",
            "your L2 term includes the biases; it sums the squares of the weights only.",
            lambda self, data, lmbda: _total_cost(self, data, lmbda, biases=True)),
    Mistake("total_cost.norm_not_squared",
            "your L2 term adds up the norms ||w||; it adds up their squares, np.sum(w ** 2).",
            lambda self, data, lmbda: _total_cost(self, data, lmbda,
                                                  l2=lambda w: np.linalg.norm(w))),
    Mistake("total_cost.not_averaged",
            "the cost part should be the mean over the n examples: divide cost.fn(...) by n "
            "(= X.shape[1]).",
            lambda self, data, lmbda: _total_cost(self, data, lmbda, average=False)),
)


def check_total_cost(obj):
    """total_cost(self, (X, labels), lmbda) for both costs, with and without L2."""
    fn = student_function(obj, "total_cost")
    rng, seed = check_rng()
    cases = []
    for sizes, cost, lmbda in [([6, 4, 3], CrossEntropyCost, float(rng.uniform(1, 5))),
                               ([5, 3], QuadraticCost, float(rng.uniform(1, 5))),
                               ([4, 5, 3, 4], CrossEntropyCost, float(rng.uniform(1, 5))),
                               ([6, 4, 3], CrossEntropyCost, 0.0)]:
        weights, biases = _random_parameters(rng, sizes)
        N = int(rng.integers(5, 12))
        cases.append((sizes, weights, biases, cost, rng.random((sizes[0], N)),
                      rng.integers(0, sizes[-1], size=N), lmbda))
    compare_function(lambda *case: _run_total_cost(fn, *case),
                     lambda *case: _run_total_cost(reference_total_cost, *case), cases,
                     _as_method_check(TOTAL_COST_MISTAKES, _run_total_cost),
                     what="total_cost", seed=seed)


def _run_accuracy(fn, sizes, weights, biases, X, labels):
    return fn(_Net(sizes, weights, biases), (X, labels))


def reference_accuracy(self, data):
    """Number of columns of X whose most active output is the label."""
    X, labels = data
    return int(np.sum(np.argmax(self.feedforward(X), axis=0) == labels))


ACCURACY_MISTAKES = (
    Mistake("monitor_accuracy.fraction",
            "return the number of examples classified correctly (an int), not the fraction; "
            "SGD divides by the number of examples itself.",
            lambda self, data: reference_accuracy(self, data) / data[0].shape[1]),
)


def check_monitor_accuracy(obj):
    """accuracy(self, (X, labels)) on random networks and data."""
    fn = student_function(obj, "accuracy")
    rng, seed = check_rng()
    cases = []
    for sizes in ([6, 4, 3], [5, 7], [4, 6, 5, 4]):
        weights, biases = _random_parameters(rng, sizes, scale=2.0)
        N = int(rng.integers(15, 40))
        X = rng.random((sizes[0], N))
        labels = np.argmax(_Net(sizes, weights, biases).feedforward(X), axis=0)
        wrong = rng.random(N) < 0.4
        labels[wrong] = rng.integers(0, sizes[-1], size=int(wrong.sum()))
        cases.append((sizes, weights, biases, X, labels))
    compare_function(lambda *case: _run_accuracy(fn, *case),
                     lambda *case: _run_accuracy(reference_accuracy, *case), cases,
                     _as_method_check(ACCURACY_MISTAKES, _run_accuracy),
                     what="accuracy", seed=seed)


# --- 5. early stopping ------------------------------------------------------------------


def _epochs_to_run(accuracies, n, better=lambda acc, best: acc > best, stop=lambda k, n: k >= n,
                   reset=True, previous=False):
    best, since, last = None, 0, None
    for epoch, acc in enumerate(accuracies, start=1):
        reference = last if previous else best
        if reference is None or better(acc, reference):
            if reset:
                since = 0
        else:
            since += 1
        if best is None or acc > best:
            best = acc
        last = acc
        if stop(since, n):
            return epoch
    return len(accuracies)


def reference_epochs_to_run(accuracies, n):
    """How many epochs run when training stops once the accuracy has not beaten its best
    so far for n epochs in a row (all of them if that never happens)."""
    return _epochs_to_run(accuracies, n)


def _fires(accuracies, n):
    best, since = None, 0
    for acc in accuracies:
        if best is None or acc > best:
            best, since = acc, 0
        else:
            since += 1
            if since >= n:
                return True
    return False


EPOCHS_TO_RUN_MISTAKES = (
    Mistake("epochs_to_run.late",
            "you stop one epoch too late: training stops right after the n-th epoch in a row "
            "without a new best (when the count reaches n, not when it passes n).",
            lambda accuracies, n: _epochs_to_run(accuracies, n, stop=lambda k, n: k > n)),
    Mistake("epochs_to_run.index",
            "return the number of epochs run (epochs count from 1), not the index of the last "
            "one (counting from 0).",
            lambda accuracies, n: (reference_epochs_to_run(accuracies, n) - 1
                                   if _fires(accuracies, n)
                                   else reference_epochs_to_run(accuracies, n))),
    Mistake("epochs_to_run.from_start",
            "reset the count of epochs without improvement to 0 whenever a new best accuracy "
            "comes; yours keeps counting from the start.",
            lambda accuracies, n: _epochs_to_run(accuracies, n, reset=False)),
    Mistake("epochs_to_run.ties",
            "an epoch that only equals the best accuracy so far is not an improvement: the "
            "accuracy must be strictly higher to reset the count.",
            lambda accuracies, n: _epochs_to_run(accuracies, n, better=lambda acc, best: acc >= best)),
    Mistake("epochs_to_run.previous",
            "compare each accuracy with the best so far, not with the previous epoch's.",
            lambda accuracies, n: _epochs_to_run(accuracies, n, previous=True)),
)


def _accuracy_curve(rng, length):
    t = np.arange(length)
    peak = rng.uniform(0.85, 0.97)
    curve = peak - 0.2 * np.exp(-t / rng.uniform(1.5, 4)) + rng.normal(0, 0.006, size=length)
    curve -= rng.uniform(0, 0.002) * np.maximum(t - length // 2, 0)   # slow overfitting
    return [float(v) for v in np.round(curve / 0.005) * 0.005]          # ties happen


def check_epochs_to_run(epochs_to_run):
    """epochs_to_run(accuracies, n) on noisy accuracy curves with ties and plateaus."""
    if not callable(epochs_to_run):
        raise CheckFailed("epochs_to_run: expected a function.")
    rng, seed = check_rng()
    cases = [([0.5, 0.6, 0.6, 0.55, 0.58], 3), ([0.9, 0.9, 0.9, 0.9], 2),
             ([0.1, 0.2, 0.3, 0.4], 1), ([0.5, 0.4, 0.6, 0.5, 0.7, 0.6, 0.5, 0.65, 0.6], 2),
             ([0.5, 0.5, 0.6, 0.6, 0.7, 0.7, 0.7], 3), ([0.3, 0.5, 0.4, 0.45, 0.44, 0.6], 2)]
    for _ in range(20):
        cases.append((_accuracy_curve(rng, int(rng.integers(8, 30))), int(rng.integers(1, 6))))
    compare_function(epochs_to_run, reference_epochs_to_run, cases, EPOCHS_TO_RUN_MISTAKES,
                     what="epochs_to_run", seed=seed)


# --- 6. the weight initialiser ----------------------------------------------------------


def _initialise(self, rng, scale=lambda n_in, n_out: 1 / np.sqrt(n_in), scale_biases=False,
                draw=None):
    draw = draw or rng.standard_normal
    self.biases = [draw((y, 1)) * (scale(x, y) if scale_biases else 1.0)
                   for x, y in zip(self.sizes[:-1], self.sizes[1:])]
    self.weights = [draw((y, x)) * scale(x, y) for x, y in zip(self.sizes[:-1], self.sizes[1:])]


def reference_default_weight_initializer(self, rng):
    """Biases from N(0, 1); weights into a neuron with n_in inputs from N(0, 1/n_in)."""
    _initialise(self, rng)


INITIALIZER_MISTAKES = (
    Mistake("default_weight_initializer.global_rng",
            "use the generator you are given (rng.standard_normal(...)), not np.random: "
            "then the same seed always gives the same network.",
            lambda self, rng: _initialise(self, rng, draw=np.random.standard_normal)),
    Mistake("default_weight_initializer.large",
            "your weights have standard deviation 1: divide the N(0, 1) draws by "
            "sqrt(n_in), the number of inputs of the layer.",
            lambda self, rng: _initialise(self, rng, scale=lambda n_in, n_out: 1.0)),
    Mistake("default_weight_initializer.n_in",
            "your weights are too small: their variance should be 1/n_in, so their standard "
            "deviation is 1/sqrt(n_in): divide by np.sqrt(n_in), not by n_in.",
            lambda self, rng: _initialise(self, rng, scale=lambda n_in, n_out: 1 / n_in)),
    Mistake("default_weight_initializer.n_out",
            "you scaled by the number of neurons in the layer (n_out); scale by the number "
            "of inputs each neuron has, n_in = sizes[l], the layer before.",
            lambda self, rng: _initialise(self, rng, scale=lambda n_in, n_out: 1 / np.sqrt(n_out))),
    Mistake("default_weight_initializer.biases_scaled",
            "only the weights are scaled by 1/sqrt(n_in); the biases stay N(0, 1).",
            lambda self, rng: _initialise(self, rng, scale_biases=True)),
    Mistake("default_weight_initializer.uniform",
            "your weights are not centred on 0: draw from a normal distribution "
            "(rng.standard_normal), not a uniform one (rng.random).",
            lambda self, rng: _initialise(self, rng, draw=rng.random)),
)


def _initialised(fn, sizes, seed, what):
    """(weights, biases) set by ``fn(self, default_rng(seed))`` on a fresh network."""
    net = _Net(sizes)

    def run():
        fn(net, np.random.default_rng(seed))
        return net.weights, net.biases

    (weights, biases), _ = call_student(run, (), what)
    if weights is None or biases is None:
        raise CheckFailed(f"{what} should set self.weights and self.biases (lists of arrays, "
                          "one per layer after the input).")
    return as_plain(list(weights)), as_plain(list(biases))


def _statistics(weights, biases):
    """(shapes, [(mean, std) of each weight matrix], (mean, std) of all the biases)."""
    shapes = [w.shape for w in weights] + [b.shape for b in biases]
    w_stats = [(float(np.mean(w)), float(np.std(w))) for w in weights]
    all_b = np.concatenate([b.ravel() for b in biases])
    return shapes, w_stats, (float(np.mean(all_b)), float(np.std(all_b)))


def _statistics_agree(s, t):
    """Whether two initialisations look drawn from the same distributions."""
    if s[0] != t[0]:
        return False
    pairs = [(a, b, 1.1, 0.1) for a, b in zip(s[1], t[1])] + [(s[2], t[2], 1.2, 0.25)]
    for (mean_s, std_s), (mean_t, std_t), ratio, shift in pairs:
        if min(std_s, std_t) <= 0 or max(std_s, std_t) / min(std_s, std_t) > ratio:
            return False
        if abs(mean_s - mean_t) > shift * max(std_s, std_t):
            return False
    return True


def check_default_weight_initializer(obj):
    """default_weight_initializer(self, rng): shapes, N(0, 1/n_in) weights and N(0, 1)
    biases (judged by their statistics on a large network), and a seed fixes the result."""
    fn = student_function(obj, "default_weight_initializer")
    what = "default_weight_initializer"
    rng, seed = check_rng()
    sizes = [int(rng.integers(400, 800)), int(rng.integers(150, 250)), int(rng.integers(400, 600))]
    draw_seed = int(rng.integers(2**31))
    weights, biases = _initialised(fn, sizes, draw_seed, what)
    expected_shapes = [(y, x) for x, y in zip(sizes[:-1], sizes[1:])] + [(y, 1) for y in sizes[1:]]
    shapes = [getattr(a, "shape", None) for a in (weights or []) + (biases or [])]
    if weights is None or biases is None or shapes != expected_shapes:
        raise CheckFailed(f"{what}: for sizes {sizes} the weights should have shapes "
                          f"{expected_shapes[:2]} and the biases {expected_shapes[2:]}; yours "
                          f"have {shapes}.")
    again = _initialised(fn, sizes, draw_seed, what)
    if not all(np.array_equal(a, b) for a, b in zip(weights + biases, again[0] + again[1])):
        raise CheckFailed(f"{what}: {INITIALIZER_MISTAKES[0].hint}")
    got = _statistics(weights, biases)
    expected = _statistics(*_initialised(reference_default_weight_initializer, sizes, draw_seed, what))
    if _statistics_agree(got, expected):
        return
    for mistake in INITIALIZER_MISTAKES[1:]:
        try:
            variant = _statistics(*_initialised(mistake.variant, sizes, draw_seed, what))
        except CheckFailed:
            continue
        if _statistics_agree(got, variant):
            raise CheckFailed(f"{what}: {mistake.hint}")
    described = ", ".join(f"layer {l + 1}: std {std:.4g} (should be about {1 / np.sqrt(n):.4g})"
                          for l, ((_, std), n) in enumerate(zip(got[1], sizes)))
    raise CheckFailed(f"{what}: for sizes {sizes} the weights do not look like N(0, 1/n_in) "
                      f"draws with N(0, 1) biases ({described}; biases: mean {got[2][0]:.3g}, "
                      f"std {got[2][1]:.3g}, should be about 0 and 1) (check seed {seed}).")


# --- 7. saving and loading --------------------------------------------------------------


def _differences(got, expected):
    """A sentence naming the first difference between two summaries (dicts), or None."""
    for key, want in expected.items():
        have = got.get(key)
        if isinstance(want, list) and want and isinstance(want[0], np.ndarray):
            if not isinstance(have, list) or len(have) != len(want):
                return f"{key} should be a list of {len(want)} arrays."
            for i, (h, w) in enumerate(zip(have, want)):
                try:
                    h = np.asarray(h, dtype=np.float64)
                except (TypeError, ValueError):
                    return f"{key}[{i}] should be an array of numbers."
                if h.shape != w.shape:
                    return (f"{key}[{i}] should have shape {w.shape}; it has shape "
                            f"{getattr(h, 'shape', None)}.")
                if not np.allclose(h, w, rtol=1e-12, atol=0):
                    return f"{key}[{i}] does not hold the right numbers."
        elif have != want:
            return f"{key} should be {want!r}; it is {have!r}."
    return None


def _verdict(what, got, expected, variants, seed):
    problem = _differences(got, expected)
    if problem is None:
        return
    for mistake, summary in variants:
        if summary is not None and _differences(got, summary) is None:
            raise CheckFailed(f"{what}: {mistake.hint}")
    raise CheckFailed(f"{what}: {problem} (check seed {seed})")


def reference_save(self, filename):
    """Write sizes, weights, biases (nested lists) and the cost's class name as JSON."""
    data = {"sizes": self.sizes, "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases], "cost": self.cost.__name__}
    with open(filename, "w") as f:
        json.dump(data, f)


def _save_variant(**changes):
    def save(self, filename):
        data = {"sizes": self.sizes, "weights": [w.tolist() for w in self.weights],
                "biases": [b.tolist() for b in self.biases], "cost": self.cost.__name__}
        for key, change in changes.items():
            if change is None:
                del data[key]
            else:
                data[key] = change(self)
        with open(filename, "w") as f:
            json.dump(data, f)
    return save


SAVE_MISTAKES = (
    Mistake("save_json.cost_repr",
            "the file's \"cost\" is the text of the class, like \"<class '...CrossEntropyCost'>\"; "
            "save just its name, self.cost.__name__, so that load can find the class.",
            _save_variant(cost=lambda self: str(self.cost))),
    Mistake("save_json.no_cost",
            "the file has no \"cost\": save the cost's name too (self.cost.__name__), or a "
            "loaded network would not know how it was trained.",
            _save_variant(cost=None)),
    Mistake("save_json.transposed",
            "you saved the weight matrices transposed; save each w as it is, w.tolist().",
            _save_variant(weights=lambda self: [w.T.tolist() for w in self.weights])),
)


def _file_summary(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return {"error": f"the file could not be read as JSON ({e})."}
    if not isinstance(data, dict):
        return {"error": f"the file should hold a JSON object (a dict); it holds {type(data).__name__}."}
    summary = {}
    for key in ("sizes", "cost"):
        summary[key] = data.get(key)
    for key in ("weights", "biases"):
        try:
            summary[key] = [np.asarray(a, dtype=np.float64) for a in data.get(key) or []]
        except (TypeError, ValueError):
            summary[key] = None
    return summary


def _saved(fn, net, what):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.json")
        call_student(fn, (copy.deepcopy(net), path), what)
        if not os.path.exists(path):
            raise CheckFailed(f"{what} wrote no file: it should write the network to the "
                              "file named by its argument.")
        return _file_summary(path)


def check_save_json(obj):
    """save(self, filename): the JSON file holds sizes, weights, biases and the cost's name."""
    fn = student_function(obj, "save")
    if not callable(fn):
        raise CheckFailed("save: expected a function.")
    rng, seed = check_rng()
    sizes = [int(rng.integers(3, 7)) for _ in range(int(rng.integers(2, 4)))]
    cost = [QuadraticCost, CrossEntropyCost][int(rng.integers(2))]
    net = _Net(sizes, *_random_parameters(rng, sizes), cost=cost)
    got = _saved(fn, net, "save")
    if "error" in got:
        raise CheckFailed(f"save: {got['error']}")
    expected = _saved(reference_save, net, "save")
    variants = [(m, _saved(m.variant, net, "save")) for m in SAVE_MISTAKES]
    _verdict("save", got, expected, variants, seed)


def reference_load(filename):
    """The network saved in ``filename`` (here a reference ``_Net``)."""
    with open(filename) as f:
        data = json.load(f)
    return _Net(data["sizes"], [np.array(w) for w in data["weights"]],
                [np.array(b) for b in data["biases"]], COST_CLASSES[data["cost"]])


LOAD_MISTAKES = (
    Mistake("load_json.lists",
            "the loaded weights and biases are Python lists; turn each into a NumPy array "
            "(np.array(w)) so that the network can compute with it.",
            lambda filename: _load_variant(filename, arrays=False)),
    Mistake("load_json.cost_name",
            "the loaded network's cost is the name (a string); look the class up by its "
            "name, e.g. {\"QuadraticCost\": QuadraticCost, \"CrossEntropyCost\": "
            "CrossEntropyCost}[data[\"cost\"]].",
            lambda filename: _load_variant(filename, cost_class=False)),
)


def _load_variant(filename, arrays=True, cost_class=True):
    net = reference_load(filename)
    with open(filename) as f:
        data = json.load(f)
    if not arrays:
        net.weights, net.biases = data["weights"], data["biases"]
    if not cost_class:
        net.cost = data["cost"]
    return net


def _net_summary(net):
    if not all(hasattr(net, name) for name in ("sizes", "weights", "biases", "cost")):
        raise CheckFailed(f"load should return the network it built (an object with sizes, "
                          f"weights, biases and cost); it returned {type(net).__name__}.")
    cost = getattr(net, "cost", None)
    weights, biases = getattr(net, "weights", None), getattr(net, "biases", None)
    sizes = getattr(net, "sizes", None)
    return {"sizes": [int(s) for s in sizes] if isinstance(sizes, (list, tuple)) else sizes,
            "cost": cost.__name__ if isinstance(cost, type) else repr(cost),
            "weights and biases are NumPy arrays": isinstance(weights, list)
            and isinstance(biases, list)
            and all(isinstance(a, np.ndarray) for a in weights + biases),
            "weights": weights, "biases": biases}


def check_load_json(obj):
    """load(filename): a network with the file's sizes, weights, biases (arrays) and cost
    class, for both costs."""
    if not callable(obj):
        raise CheckFailed("load: expected a function.")
    rng, seed = check_rng()
    with tempfile.TemporaryDirectory() as folder:
        for k, cost in enumerate(("CrossEntropyCost", "QuadraticCost")):
            sizes = [int(rng.integers(3, 7)) for _ in range(int(rng.integers(2, 4)))]
            weights, biases = _random_parameters(rng, sizes)
            path = os.path.join(folder, f"network{k}.json")
            with open(path, "w") as f:
                json.dump({"sizes": sizes, "weights": [w.tolist() for w in weights],
                           "biases": [b.tolist() for b in biases], "cost": cost}, f)
            net, _ = call_student(obj, (path,), "load")
            got = _net_summary(net)
            expected = _net_summary(reference_load(path))
            expected["weights"], expected["biases"] = weights, biases
            variants = [(m, _net_summary(m.variant(path))) for m in LOAD_MISTAKES]
            for _, summary in variants:
                summary["weights"], summary["biases"] = weights, biases
            _verdict("load", got, expected, variants, seed)


CATALOGUE = (QUADRATIC_DELTA_MISTAKES + TRAIN_NEURON_MISTAKES + CROSS_ENTROPY_FN_MISTAKES
             + CROSS_ENTROPY_DELTA_MISTAKES + UPDATE_MISTAKES + TOTAL_COST_MISTAKES
             + ACCURACY_MISTAKES + EPOCHS_TO_RUN_MISTAKES + INITIALIZER_MISTAKES + SAVE_MISTAKES
             + LOAD_MISTAKES)

CHECKS = {"quadratic_delta": check_quadratic_delta, "train_neuron": check_train_neuron,
          "cross_entropy_fn": check_cross_entropy_fn,
          "cross_entropy_edges": check_cross_entropy_edges,
          "cross_entropy_delta": check_cross_entropy_delta,
          "l2_update": check_l2_update, "total_cost": check_total_cost,
          "monitor_accuracy": check_monitor_accuracy, "epochs_to_run": check_epochs_to_run,
          "default_weight_initializer": check_default_weight_initializer,
          "save_json": check_save_json, "load_json": check_load_json}

REFERENCES = {"quadratic_delta": reference_quadratic_delta,
              "train_neuron": reference_train_neuron,
              "cross_entropy_fn": reference_cross_entropy_fn,
              "cross_entropy_edges": reference_cross_entropy_fn,
              "cross_entropy_delta": reference_cross_entropy_delta,
              "l2_update": reference_update_mini_batch,
              "total_cost": reference_total_cost, "monitor_accuracy": reference_accuracy,
              "epochs_to_run": reference_epochs_to_run,
              "default_weight_initializer": reference_default_weight_initializer,
              "save_json": reference_save, "load_json": reference_load}
