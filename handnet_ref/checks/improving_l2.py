"""Checks for assignment 6, part 2: the L2-regularised mini-batch update, the monitored
total cost and accuracy, and early stopping.

The notebook's network is matrix-based: data is ``(X, labels)`` with X of shape
(n_in, N), one example per column. Methods are checked with ``_Net`` (``network2``'s
``Network`` with the notebook's batch ``backprop``) as ``self``.

The references are ``network2``'s code: ``Network.update_mini_batch`` (given the batch's
columns as the book's (x, y) pairs), ``Network.total_cost``, ``Network.accuracy`` and
``monitoring.EarlyStopping``. The mistakes are built from the pieces that a written-out
mistake sample can carry (``handnet_grader.classview.mistake_code`` cannot write out ``network2``'s
``Network``, a subclass of ``network.Network``): ``self.backprop``, ``training.l2_term``,
``EarlyStopping``, each with one slip; ``test_references_follow_the_network`` holds every
generator without its slip equal to the reference.

(Over 300 lines: the checks of one assignment's part and the catalogue of their
mistakes, each with its hint, kept in one module so that the notebook, this module
and its test file line up.)
"""

from typing import Any

import numpy as np

from ..costs import CrossEntropyCost, QuadraticCost
from ..monitoring import EarlyStopping
from ..network2 import Network as ReferenceNetwork
from ..training import l2_term
from ._improving_net import _as_method_check, _Net, _one_hot, _random_parameters, columns
from .core import CheckFailed, Mistake, check_rng, compare_function, student_function

ASSIGNMENT = "06_improving"
# The notebook's function that each check tests, where the names differ.
FUNCTIONS = {"l2_update": "update_mini_batch", "monitor_accuracy": "accuracy"}

# --- 3. the L2 update -------------------------------------------------------------------


def _run_update(fn, sizes, weights, biases, X, Y, eta, lmbda, n):
    net = _Net(sizes, weights, biases)
    fn(net, X, Y, eta, lmbda, n)
    return [*net.weights, *net.biases]


def _update(
    self, X, Y, eta, lmbda, n, decay=None, bias_decay=False, per=None, sign=1.0, after=False
):
    """The L2 step with one slip (the defaults: none), by the notebook's batch backprop."""
    nabla_b, nabla_w = self.backprop(X, Y)
    m = X.shape[1]
    decay = 1 - eta * lmbda / n if decay is None else decay
    step = eta / (m if per is None else per)
    if after:
        self.weights = [decay * (w - step * nw) for w, nw in zip(self.weights, nabla_w)]
    else:
        self.weights = [decay * w - sign * step * nw for w, nw in zip(self.weights, nabla_w)]
    self.biases = [
        (decay if bias_decay else 1.0) * b - sign * step * nb for b, nb in zip(self.biases, nabla_b)
    ]


def reference_update_mini_batch(
    self, X: np.ndarray, Y: np.ndarray, eta: float, lmbda: float, n: int
) -> None:
    """w -> (1 - eta lmbda / n) w - (eta / m) nabla_w; b -> b - (eta / m) nabla_b:
    ``network2.Network.update_mini_batch`` on the columns of X (n_0, m) and Y (n_L, m)."""
    ReferenceNetwork.update_mini_batch(self, columns(X, Y), eta, lmbda, n)


UPDATE_MISTAKES = (
    Mistake(
        "l2_update.biases_decay",
        "do not decay the biases, update them with b - (eta / m) * nabla_b: weight decay "
        "applies to the weights only, and you shrank the biases too.",
        lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n, bias_decay=True),
    ),
    Mistake(
        "l2_update.lambda_over_m",
        "divide lmbda by n, the size of the whole training set, not by the mini-batch size "
        "m: the decay factor is 1 - eta * lmbda / n.",
        lambda self, X, Y, eta, lmbda, n: _update(
            self, X, Y, eta, lmbda, n, decay=1 - eta * lmbda / X.shape[1]
        ),
    ),
    Mistake(
        "l2_update.no_n",
        "divide by n, the size of the whole training set: the decay factor is 1 - eta * "
        "lmbda / n; yours is 1 - eta * lmbda.",
        lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n, decay=1 - eta * lmbda),
    ),
    Mistake(
        "l2_update.no_eta",
        "multiply by eta: the decay factor is 1 - eta * lmbda / n (the decay is a gradient "
        "step too); yours is 1 - lmbda / n.",
        lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n, decay=1 - lmbda / n),
    ),
    Mistake(
        "l2_update.decay_sign",
        "shrink the weights with the factor 1 - eta * lmbda / n (a minus): yours grow.",
        lambda self, X, Y, eta, lmbda, n: _update(
            self, X, Y, eta, lmbda, n, decay=1 + eta * lmbda / n
        ),
    ),
    Mistake(
        "l2_update.not_averaged",
        "divide the gradient step by m, the number of examples in the mini-batch "
        "(X.shape[1]): the step is eta / m times the summed gradient.",
        lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n, per=1),
    ),
    Mistake(
        "l2_update.decay_after",
        "decay the old weights only, (1 - eta lmbda / n) w - (eta / m) nabla_w: you "
        "applied the decay after the gradient step, (1 - eta lmbda / n)(w - eta/m "
        "nabla_w).",
        lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n, after=True),
    ),
    Mistake(
        "l2_update.sign",
        "subtract (eta / m) times the gradient: your step goes uphill.",
        lambda self, X, Y, eta, lmbda, n: _update(self, X, Y, eta, lmbda, n, sign=-1.0),
    ),
)


def check_l2_update(obj: Any) -> None:
    """update_mini_batch(self, X, Y, eta, lmbda, n): one L2-regularised step, on random
    networks and batches, with ``self`` a reference network (its backprop is right)."""
    fn = student_function(obj, "update_mini_batch")
    rng, seed = check_rng()
    cases = []
    for sizes, lmbda in [
        ([5, 4, 3], float(rng.uniform(1, 8))),
        ([6, 3], float(rng.uniform(1, 8))),
        ([4, 5, 3, 2], float(rng.uniform(1, 8))),
        ([5, 4, 3], 0.0),
    ]:
        weights, biases = _random_parameters(rng, sizes)
        m = int(rng.integers(2, 7))
        X = rng.random((sizes[0], m))
        Y = _one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1])
        cases.append(
            (
                sizes,
                weights,
                biases,
                X,
                Y,
                float(rng.uniform(0.2, 0.8)),
                lmbda,
                int(rng.integers(20, 80)),
            )
        )
    compare_function(
        lambda *case: _run_update(fn, *case),
        lambda *case: _run_update(reference_update_mini_batch, *case),
        cases,
        _as_method_check(UPDATE_MISTAKES, _run_update),
        what="update_mini_batch (the new weights, then the new biases)",
        seed=seed,
    )


# --- 4. monitoring ----------------------------------------------------------------------


def _run_total_cost(fn, sizes, weights, biases, cost, X, labels, lmbda):
    return fn(_Net(sizes, weights, biases, cost), (X, labels), lmbda)


def _total_cost(self, data, lmbda, average=True, penalty=l2_term):
    """total_cost with one slip (the defaults: none): the cost of the outputs, averaged
    over the n examples, plus ``penalty(weights, lmbda, n)``."""
    X, labels = data
    n = X.shape[1]
    cost = self.cost.fn(self.feedforward(X), _one_hot(labels, self.sizes[-1]))
    return cost / (n if average else 1) + penalty(self.weights, lmbda, n)


# The mean cost plus lmbda / (2n) times the sum of squared weights (network2's).
reference_total_cost = ReferenceNetwork.total_cost


TOTAL_COST_MISTAKES = (
    Mistake(
        "total_cost.no_l2",
        "add the regularisation term, 0.5 * (lmbda / n) * (the sum of the squares of all "
        "the weights): your total cost leaves it out.",
        lambda self, data, lmbda: _total_cost(self, data, lmbda, penalty=lambda w, l, n: 0.0),
    ),
    Mistake(
        "total_cost.no_half",
        "halve your L2 term: it is lmbda / (2n) * sum w^2; yours is lmbda / n * sum w^2.",
        lambda self, data, lmbda: _total_cost(
            self, data, lmbda, penalty=lambda w, l, n: 2 * l2_term(w, l, n)
        ),
    ),
    Mistake(
        "total_cost.l2_not_per_n",
        "divide the L2 term by n, the number of examples in the data: it is lmbda / (2n) * "
        "sum w^2.",
        lambda self, data, lmbda: _total_cost(
            self, data, lmbda, penalty=lambda w, l, n: l2_term(w, l, 1)
        ),
    ),
    Mistake(
        "total_cost.biases",
        "leave the biases out of the L2 term: it sums the squares of the weights only.",
        lambda self, data, lmbda: _total_cost(
            self, data, lmbda, penalty=lambda w, l, n: l2_term(w + self.biases, l, n)
        ),
    ),
    Mistake(
        "total_cost.norm_not_squared",
        "add up the squares of the weights, np.sum(w ** 2), not their norms ||w||.",
        lambda self, data, lmbda: _total_cost(
            self,
            data,
            lmbda,
            penalty=lambda w, l, n: 0.5 * l / n * sum(float(np.linalg.norm(x)) for x in w),
        ),
    ),
    Mistake(
        "total_cost.not_averaged",
        "divide cost.fn(...) by n (= X.shape[1]): the cost part should be the mean over "
        "the n examples.",
        lambda self, data, lmbda: _total_cost(self, data, lmbda, average=False),
    ),
)


def check_total_cost(obj: Any) -> None:
    """total_cost(self, (X, labels), lmbda) for both costs, with and without L2."""
    fn = student_function(obj, "total_cost")
    rng, seed = check_rng()
    cases = []
    for sizes, cost, lmbda in [
        ([6, 4, 3], CrossEntropyCost, float(rng.uniform(1, 5))),
        ([5, 3], QuadraticCost, float(rng.uniform(1, 5))),
        ([4, 5, 3, 4], CrossEntropyCost, float(rng.uniform(1, 5))),
        ([6, 4, 3], CrossEntropyCost, 0.0),
    ]:
        weights, biases = _random_parameters(rng, sizes)
        N = int(rng.integers(5, 12))
        cases.append(
            (
                sizes,
                weights,
                biases,
                cost,
                rng.random((sizes[0], N)),
                rng.integers(0, sizes[-1], size=N),
                lmbda,
            )
        )
    compare_function(
        lambda *case: _run_total_cost(fn, *case),
        lambda *case: _run_total_cost(reference_total_cost, *case),
        cases,
        _as_method_check(TOTAL_COST_MISTAKES, _run_total_cost),
        what="total_cost",
        seed=seed,
    )


def _run_accuracy(fn, sizes, weights, biases, X, labels):
    return fn(_Net(sizes, weights, biases), (X, labels))


# The number of columns of X whose most active output is the label (network2's).
reference_accuracy = ReferenceNetwork.accuracy


def _fraction_correct(self, data):
    """The accuracy as a fraction: the mistake of returning it."""
    X, labels = data
    return np.sum(np.argmax(self.feedforward(X), axis=0) == labels) / X.shape[1]


ACCURACY_MISTAKES = (
    Mistake(
        "monitor_accuracy.fraction",
        "return the number of examples classified correctly (an int), not the fraction; "
        "SGD divides by the number of examples itself.",
        _fraction_correct,
    ),
)


def check_monitor_accuracy(obj: Any) -> None:
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
    compare_function(
        lambda *case: _run_accuracy(fn, *case),
        lambda *case: _run_accuracy(reference_accuracy, *case),
        cases,
        _as_method_check(ACCURACY_MISTAKES, _run_accuracy),
        what="accuracy",
        seed=seed,
    )


# --- 5. early stopping ------------------------------------------------------------------


def _epochs_to_run(
    accuracies,
    n,
    better=lambda acc, best: acc > best,
    stop=lambda k, n: k >= n,
    reset=True,
    previous=False,
):
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


def reference_epochs_to_run(accuracies: list[float], n: int) -> int:
    """How many epochs run when training stops once the accuracy has not beaten its best
    so far for n epochs in a row (all of them if that never happens): the epoch after
    which network2's SGD, with ``early_stopping_n = n``, stops (``EarlyStopping``)."""
    stopper = EarlyStopping(n)
    for epoch, acc in enumerate(accuracies, start=1):
        if stopper.update(acc):
            return epoch
    return len(accuracies)


def _fires(accuracies, n):
    """Whether early stopping with patience n stops before the last epoch's end."""
    stopper = EarlyStopping(n)
    return any(stopper.update(acc) for acc in accuracies)


EPOCHS_TO_RUN_MISTAKES = (
    Mistake(
        "epochs_to_run.late",
        "stop one epoch sooner, right after the n-th epoch in a row without a new best "
        "(when the count reaches n, not when it passes n): yours stops one epoch too late.",
        lambda accuracies, n: _epochs_to_run(accuracies, n, stop=lambda k, n: k > n),
    ),
    Mistake(
        "epochs_to_run.index",
        "return the number of epochs run (epochs count from 1), not the index of the last "
        "one (counting from 0).",
        lambda accuracies, n: (
            reference_epochs_to_run(accuracies, n) - 1
            if _fires(accuracies, n)
            else reference_epochs_to_run(accuracies, n)
        ),
    ),
    Mistake(
        "epochs_to_run.from_start",
        "reset the count of epochs without improvement to 0 whenever a new best accuracy "
        "comes; yours keeps counting from the start.",
        lambda accuracies, n: _epochs_to_run(accuracies, n, reset=False),
    ),
    Mistake(
        "epochs_to_run.ties",
        "require a strictly higher accuracy to reset the count: an epoch that only equals "
        "the best accuracy so far is not an improvement.",
        lambda accuracies, n: _epochs_to_run(accuracies, n, better=lambda acc, best: acc >= best),
    ),
    Mistake(
        "epochs_to_run.previous",
        "compare each accuracy with the best so far, not with the previous epoch's.",
        lambda accuracies, n: _epochs_to_run(accuracies, n, previous=True),
    ),
)


def _accuracy_curve(rng, length):
    t = np.arange(length)
    peak = rng.uniform(0.85, 0.97)
    curve = peak - 0.2 * np.exp(-t / rng.uniform(1.5, 4)) + rng.normal(0, 0.006, size=length)
    curve -= rng.uniform(0, 0.002) * np.maximum(t - length // 2, 0)  # slow overfitting
    return [float(v) for v in np.round(curve / 0.005) * 0.005]  # ties happen


def check_epochs_to_run(epochs_to_run: Any) -> None:
    """epochs_to_run(accuracies, n) on noisy accuracy curves with ties and plateaus."""
    if not callable(epochs_to_run):
        raise CheckFailed("epochs_to_run: expected a function.")
    rng, seed = check_rng()
    cases = [
        ([0.5, 0.6, 0.6, 0.55, 0.58], 3),
        ([0.9, 0.9, 0.9, 0.9], 2),
        ([0.1, 0.2, 0.3, 0.4], 1),
        ([0.5, 0.4, 0.6, 0.5, 0.7, 0.6, 0.5, 0.65, 0.6], 2),
        ([0.5, 0.5, 0.6, 0.6, 0.7, 0.7, 0.7], 3),
        ([0.3, 0.5, 0.4, 0.45, 0.44, 0.6], 2),
    ]
    for _ in range(20):
        cases.append((_accuracy_curve(rng, int(rng.integers(8, 30))), int(rng.integers(1, 6))))
    compare_function(
        epochs_to_run,
        reference_epochs_to_run,
        cases,
        EPOCHS_TO_RUN_MISTAKES,
        what="epochs_to_run",
        seed=seed,
    )


CATALOGUE = UPDATE_MISTAKES + TOTAL_COST_MISTAKES + ACCURACY_MISTAKES + EPOCHS_TO_RUN_MISTAKES

# The methods of the stand-ins (``self``) that the student's code may call during each
# check, when the grader runs it (handnet_grader.trust.grader_link); any other is not lent.
HELPERS = {
    "check_l2_update": ("backprop",),
    "check_total_cost": ("feedforward", "fn"),
    "check_monitor_accuracy": ("feedforward",),
}

CHECKS = {
    "l2_update": check_l2_update,
    "total_cost": check_total_cost,
    "monitor_accuracy": check_monitor_accuracy,
    "epochs_to_run": check_epochs_to_run,
}

REFERENCES = {
    "l2_update": reference_update_mini_batch,
    "total_cost": reference_total_cost,
    "monitor_accuracy": reference_accuracy,
    "epochs_to_run": reference_epochs_to_run,
}
