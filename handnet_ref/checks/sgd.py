"""Checks for assignment 4, mini-batch SGD: ``update_mini_batch`` and ``SGD``, and the
answers to the notebook's questions.

``update_mini_batch`` is run with a reference ``Network`` as ``self`` (so it uses the
reference's ``backprop``) and judged by the weights and biases it leaves behind.

``SGD`` is run with a recording stand-in as ``self``: its ``update_mini_batch`` and
``evaluate`` learn nothing and write down what SGD asked of them. The check then looks at
the behaviour the notebook asks for: every example once per epoch, mini-batches of
``mini_batch_size`` (the last of an epoch may be smaller), a new shuffle every epoch drawn
from ``rng`` (same seed, same batches), the caller's list left as it was, ``evaluate``
once per epoch when there is test data, and the accuracies returned as a list of
fractions (empty without test data).

(Over 300 lines: the checks of one assignment and the catalogue of their
mistakes, each with its hint, kept in one module so that the notebook, this module
and its test file line up.)
"""

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ..initializers import RngLike
from ..network import Network as ReferenceNetwork
from .core import CheckFailed, Mistake, as_plain, call_student, check_rng, judge, quietly

ASSIGNMENT = "04_sgd"


class Misuse(CheckFailed):
    """Raised by a stand-in when the student's code calls it wrongly; ``call_student``
    reports it with its message."""


class _MissingAttribute(Misuse, AttributeError):
    """A stand-in has no such attribute (an AttributeError, so ``hasattr`` still works)."""


def network_with(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    cls: type[ReferenceNetwork] = ReferenceNetwork,
) -> ReferenceNetwork:
    """A reference network (or ``cls``) holding copies of the given parameters."""
    net = cls([weights[0].shape[1]] + [w.shape[0] for w in weights], rng=0)
    net.weights = [np.array(w, dtype=np.float64) for w in weights]
    net.biases = [np.array(b, dtype=np.float64) for b in biases]
    return net


def parameters_of(
    net: ReferenceNetwork, after: str = "the update"
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(weights, biases) of ``net`` as float64 arrays, or Misuse saying that what ran
    (``after``) should have left lists of arrays."""
    try:
        return (
            [np.asarray(w, dtype=np.float64) for w in net.weights],
            [np.asarray(b, dtype=np.float64) for b in net.biases],
        )
    except (TypeError, ValueError):
        raise Misuse(
            f"after {after}, self.weights and self.biases should be lists of NumPy arrays."
        ) from None


def parameters_after(
    method: Callable[..., Any], cls: type[ReferenceNetwork] = ReferenceNetwork
) -> Callable[..., tuple[list[np.ndarray], list[np.ndarray]]]:
    """A function (weights, biases, mini_batch, eta) -> (weights, biases) after
    ``method(net, mini_batch, eta)`` on a network holding those parameters."""

    def run(weights, biases, mini_batch, eta):
        net = network_with(weights, biases, cls)
        method(net, mini_batch, eta)
        return parameters_of(net)

    return run


# --- update_mini_batch -----------------------------------------------------------------


# The network is named in quotes: a mistake written out with this function
# (handnet_grader.classview.mistake_code) would otherwise carry the whole Network class.
def summed_gradients(
    net: "ReferenceNetwork", mini_batch: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(sum of nabla_b, sum of nabla_w) over the mini-batch, by the network's backprop."""
    nabla_b = [np.zeros(b.shape) for b in net.biases]
    nabla_w = [np.zeros(w.shape) for w in net.weights]
    for x, y in mini_batch:
        delta_b, delta_w = net.backprop(x, y)
        nabla_b = [nb + d for nb, d in zip(nabla_b, delta_b)]
        nabla_w = [nw + d for nw, d in zip(nabla_w, delta_w)]
    return nabla_b, nabla_w


# w -> w - (eta / m) sum nabla_w, b -> b - (eta / m) sum nabla_b over the m examples:
# the book's update_mini_batch.
reference_update_mini_batch = ReferenceNetwork.update_mini_batch


def _update_with(step_w, step_b, gradients=summed_gradients):
    """An update_mini_batch variant: w -> step_w(w, nabla_w, nabla_b, eta, m), etc."""

    def update(self, mini_batch, eta):
        nabla_b, nabla_w = gradients(self, mini_batch)
        m = len(mini_batch)
        new_w = [step_w(w, nw, nb, eta, m) for w, nw, nb in zip(self.weights, nabla_w, nabla_b)]
        new_b = [step_b(b, nw, nb, eta, m) for b, nw, nb in zip(self.biases, nabla_w, nabla_b)]
        self.weights, self.biases = new_w, new_b

    return update


def _last_example_gradients(net, mini_batch):
    x, y = mini_batch[-1]
    return net.backprop(x, y)


UPDATE_MINI_BATCH_MISTAKES = (
    Mistake(
        "update_mini_batch.not_averaged",
        "divide by the mini-batch size, w - (eta / len(mini_batch)) * nabla_w: the step "
        "is m times too large (the sum of the gradients times eta).",
        _update_with(
            lambda w, nw, nb, eta, m: w - eta * nw, lambda b, nw, nb, eta, m: b - eta * nb
        ),
    ),
    Mistake(
        "update_mini_batch.sign",
        "the parameters move uphill (the cost grows): subtract the gradient step, "
        "w - (eta / m) * nabla_w, do not add it.",
        _update_with(
            lambda w, nw, nb, eta, m: w + (eta / m) * nw,
            lambda b, nw, nb, eta, m: b + (eta / m) * nb,
        ),
    ),
    Mistake(
        "update_mini_batch.last_only",
        "only the last example's gradient is used: add up the gradients of every "
        "example of the mini-batch (nabla_b = [nb + dnb ...] inside the loop), not "
        "just keep the last one.",
        _update_with(
            lambda w, nw, nb, eta, m: w - (eta / m) * nw,
            lambda b, nw, nb, eta, m: b - (eta / m) * nb,
            gradients=_last_example_gradients,
        ),
    ),
    Mistake(
        "update_mini_batch.biases_not_updated",
        "the biases did not change: update them too, b - (eta / m) * nabla_b.",
        _update_with(lambda w, nw, nb, eta, m: w - (eta / m) * nw, lambda b, nw, nb, eta, m: b),
    ),
    Mistake(
        "update_mini_batch.swapped",
        "the weights were updated with nabla_b and the biases with nabla_w: pair "
        "self.weights with nabla_w and self.biases with nabla_b.",
        _update_with(
            lambda w, nw, nb, eta, m: w - (eta / m) * nb,
            lambda b, nw, nb, eta, m: b - (eta / m) * nw,
        ),
    ),
)


def _random_network(rng):
    """Weights and biases of a small random network whose consecutive layers differ."""
    n_layers = int(rng.integers(2, 4))
    sizes = [int(s) for s in rng.choice(np.arange(2, 8), size=n_layers + 1, replace=False)]
    weights = [rng.normal(0, 1, size=(b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 1, size=(b, 1)) for b in sizes[1:]]
    return sizes, weights, biases


def _random_batch(rng, n_in, n_out, m):
    return [(rng.normal(0, 1, size=(n_in, 1)), rng.random((n_out, 1))) for _ in range(m)]


def check_update_mini_batch(obj: Any) -> None:
    """update_mini_batch(self, mini_batch, eta) on random small networks and batches of
    2 to 5 examples, with a reference network as ``self``."""
    fn = getattr(obj, "update_mini_batch", obj)
    rng, seed = check_rng()
    cases = []
    for _ in range(3):
        sizes, weights, biases = _random_network(rng)
        batch = _random_batch(rng, sizes[0], sizes[-1], int(rng.integers(2, 6)))
        cases.append((weights, biases, batch, float(rng.uniform(0.5, 3.0))))
    what = "update_mini_batch"
    results = [
        call_student(parameters_after(fn), copy.deepcopy(case), what, copy_args=False)[0]
        for case in cases
    ]
    expected = [quietly(parameters_after(reference_update_mini_batch), case) for case in cases]
    variants = [
        (m, [quietly(parameters_after(m.variant), case) for case in cases])
        for m in UPDATE_MINI_BATCH_MISTAKES
    ]
    judge(results, expected, variants, "the (weights, biases) after update_mini_batch", seed)


# --- SGD -------------------------------------------------------------------------------


def reference_SGD(
    self,
    training_data: list[tuple[np.ndarray, np.ndarray]],
    epochs: int,
    mini_batch_size: int,
    eta: float,
    test_data: list[tuple[np.ndarray, int]] | None = None,
    rng: RngLike = None,
) -> list[float]:
    """Mini-batch SGD; returns the test accuracy (a fraction) after each epoch, or []."""
    rng = np.random.default_rng(rng)
    n = len(training_data)
    accuracies = []
    for _ in range(epochs):
        order = rng.permutation(n)
        shuffled = [training_data[i] for i in order]
        for k in range(0, n, mini_batch_size):
            self.update_mini_batch(shuffled[k : k + mini_batch_size], eta)
        if test_data is not None:
            accuracies.append(self.evaluate(test_data) / len(test_data))
    return accuracies


def _sgd_variant(shuffle="each", in_place=False, drop_last=False, eta_scale=False, counts=False):
    """A wrong SGD: ``shuffle`` is "each" (right), "never", "once", "global" (numpy's
    global generator) or "fixed" (a fixed seed, whatever rng is)."""

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None, rng=None):
        rng = np.random.default_rng(0 if shuffle == "fixed" else rng)
        data = training_data if in_place else list(training_data)
        if shuffle == "once":
            rng.shuffle(data)
        n = len(data)
        stop = n - mini_batch_size + 1 if drop_last else n
        accuracies = []
        for _ in range(epochs):
            if shuffle in ("each", "fixed"):
                rng.shuffle(data)
            elif shuffle == "global":
                np.random.shuffle(data)
            for k in range(0, stop, mini_batch_size):
                self.update_mini_batch(
                    data[k : k + mini_batch_size], eta / mini_batch_size if eta_scale else eta
                )
            if test_data is not None:
                correct = self.evaluate(test_data)
                accuracies.append(correct if counts else correct / len(test_data))
        return accuracies

    return SGD


SGD_MISTAKES = (
    Mistake(
        "SGD.in_place",
        "shuffle a copy (data = list(training_data)) or an order of indices "
        "(rng.permutation(len(training_data))), not the caller's list: SGD shuffled "
        "training_data in place.",
        _sgd_variant(in_place=True),
    ),
    Mistake(
        "SGD.eta_divided",
        "update_mini_batch received eta / mini_batch_size: pass eta itself; "
        "update_mini_batch divides by the mini-batch size already.",
        _sgd_variant(eta_scale=True),
    ),
    Mistake(
        "SGD.drops_last",
        "let the loop run to the end of the data (range(0, n, mini_batch_size)); the "
        "last slice may be shorter: the last, smaller mini-batch of each epoch was "
        "skipped, so some examples were never used.",
        _sgd_variant(drop_last=True),
    ),
    Mistake(
        "SGD.no_shuffle",
        "the mini-batches came in the data's own order: shuffle the training data at "
        "the start of every epoch.",
        _sgd_variant(shuffle="never"),
    ),
    Mistake(
        "SGD.shuffle_once",
        "every epoch visited the examples in the same order: shuffle anew at the start "
        "of each epoch (inside the epoch loop), not once before it.",
        _sgd_variant(shuffle="once"),
    ),
    Mistake(
        "SGD.counts",
        "SGD returned the number of correct answers; return fractions: "
        "self.evaluate(test_data) / len(test_data).",
        _sgd_variant(counts=True),
    ),
    Mistake(
        "SGD.global_rng",
        "shuffle with the generator you were given (rng = np.random.default_rng(rng), "
        "then rng.shuffle or rng.permutation), not np.random or random: two runs with "
        "the same rng seed visited the examples in different orders.",
        _sgd_variant(shuffle="global"),
    ),
    Mistake(
        "SGD.fixed_seed",
        "shuffle with the generator you were given (rng = np.random.default_rng(rng)), "
        "not one with a fixed seed: two runs with different rng seeds visited the "
        "examples in the same order.",
        _sgd_variant(shuffle="fixed"),
    ),
)
_HINTS = {m.key.split(".")[1]: m.hint for m in SGD_MISTAKES}


class _Recorder:
    """Stands in for the network in SGD: records the mini-batches (by example number) and
    the calls, and answers evaluate with the counts it is given, in turn."""

    def __init__(self, counts=()):
        self._batches, self._etas, self._calls, self._evaluated = [], [], [], []
        self._counts = list(counts)

    def update_mini_batch(
        self, mini_batch: list[tuple[np.ndarray, np.ndarray]], eta: float
    ) -> None:
        try:
            numbers = [int(round(float(np.asarray(x).reshape(-1)[0]))) for x, _ in mini_batch]
        except (TypeError, ValueError, IndexError):
            raise Misuse(
                "update_mini_batch should be given a list of (x, y) pairs from training_data."
            ) from None
        self._batches.append(numbers)
        self._etas.append(eta)
        self._calls.append("update")

    def evaluate(self, test_data: list[tuple[np.ndarray, int]]) -> int:
        self._calls.append("evaluate")
        self._evaluated.append(test_data)
        return (
            self._counts[len(self._evaluated) - 1]
            if len(self._evaluated) <= len(self._counts)
            else 0
        )

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise _MissingAttribute(
            f"SGD should need only self.update_mini_batch and self.evaluate; it used self.{name}."
        )


def _examples(n):
    """n training pairs, example i holding the number i in x[0]."""
    return [(np.array([[float(i)], [0.5]]), np.array([[1.0], [0.0]])) for i in range(n)]


def _run_sgd(fn, n, epochs, size, eta, test_data, seed, counts=()):
    """(recorder, result, whether the caller's list was changed) for one SGD run."""
    data = _examples(n)
    before = list(data)
    recorder = _Recorder(counts)
    rng = None if seed is None else np.random.default_rng(seed)
    result = call_student(
        fn, (recorder, data, epochs, size, eta, test_data, rng), "SGD", copy_args=False
    )[0]
    changed = len(data) != len(before) or any(a is not b for a, b in zip(data, before))
    return recorder, result, changed


def _epochs(batches, n_batches):
    """The examples of each epoch in the order visited, from the list of batches."""
    return [
        [i for batch in batches[k : k + n_batches] for i in batch]
        for k in range(0, len(batches), n_batches)
    ]


def check_SGD(obj: Any) -> None:
    """SGD(self, training_data, epochs, mini_batch_size, eta, test_data, rng) with a
    recording stand-in as ``self``; see the module docstring for what is checked."""
    fn = getattr(obj, "SGD", obj)
    rng, seed = check_rng()
    n, size, epochs = int(rng.integers(21, 30)), int(rng.integers(4, 7)), 3
    if n % size == 0:
        n += 1
    eta = float(rng.uniform(0.5, 5.0))
    test_data = [(np.zeros((2, 1)), 0)] * int(rng.integers(5, 12))
    counts = [int(c) for c in rng.choice(len(test_data) + 1, size=epochs, replace=False)]
    seeds = [int(s) for s in rng.integers(0, 2**31, size=2)]
    replay = f" (check seed {seed})"

    recorder, result, changed = _run_sgd(fn, n, epochs, size, eta, test_data, seeds[0], counts)
    if changed:
        raise CheckFailed(f"SGD: {_HINTS['in_place']}")
    if recorder._etas and all(np.isclose(e, eta / size) for e in recorder._etas):
        raise CheckFailed(f"SGD: {_HINTS['eta_divided']}")
    if not all(
        isinstance(e, (int, float, np.floating)) and np.isclose(e, eta) for e in recorder._etas
    ):
        raise CheckFailed(
            f"SGD should pass eta ({eta:.4g}) to update_mini_batch unchanged; "
            f"it passed {recorder._etas[:3]}...{replay}"
        )
    sizes = [len(b) for b in recorder._batches]
    per_epoch = [size] * (n // size) + [n % size]
    if sizes == [size] * (n // size) * epochs:
        raise CheckFailed(f"SGD: {_HINTS['drops_last']}")
    if sizes != per_epoch * epochs:
        raise CheckFailed(
            f"SGD should cut each epoch's data into mini-batches of mini_batch_size, the last "
            f"one smaller if need be: with {n} examples, mini_batch_size {size} and {epochs} "
            f"epochs, update_mini_batch should get batches of sizes {per_epoch} in each "
            f"epoch, {len(per_epoch) * epochs} calls in all; it got {len(sizes)} calls, of "
            f"sizes {sizes[:12]}{'...' if len(sizes) > 12 else ''}.{replay}"
        )
    orders = _epochs(recorder._batches, len(per_epoch))
    for k, order in enumerate(orders):
        if sorted(order) != list(range(n)):
            missing = sorted(set(range(n)) - set(order))
            twice = sorted({i for i in order if order.count(i) > 1})
            raise CheckFailed(
                f"SGD should use every training example exactly once per epoch; "
                f"in epoch {k + 1}, examples {missing} were left out and {twice} "
                f"used more than once.{replay}"
            )
    if all(order == list(range(n)) for order in orders):
        raise CheckFailed(f"SGD: {_HINTS['no_shuffle']}")
    if all(order == orders[0] for order in orders):
        raise CheckFailed(f"SGD: {_HINTS['shuffle_once']}")
    expected_calls = (["update"] * len(per_epoch) + ["evaluate"]) * epochs
    if recorder._calls != expected_calls:
        n_eval = recorder._calls.count("evaluate")
        raise CheckFailed(
            f"SGD should call self.evaluate(test_data) once per epoch, after "
            f"the epoch's mini-batches; in {epochs} epochs it called it "
            f"{n_eval} times.{replay}"
        )
    if any(
        t is not test_data and not (isinstance(t, list) and len(t) == len(test_data))
        for t in recorder._evaluated
    ):
        raise CheckFailed("SGD should pass test_data to self.evaluate.")
    want = [c / len(test_data) for c in counts]
    got = as_plain(result) if isinstance(result, (list, tuple, np.ndarray)) else None
    got = None if got is None else np.asarray(got, dtype=np.float64).reshape(-1)
    if got is not None and got.shape == (epochs,) and np.allclose(got, counts):
        raise CheckFailed(f"SGD: {_HINTS['counts']}")
    if got is None or got.shape != (epochs,) or not np.allclose(got, want, rtol=1e-9):
        raise CheckFailed(
            f"SGD should return a list of the test accuracies, one per epoch: here evaluate "
            f"found {counts} of {len(test_data)} right, so it should return "
            f"{[round(w, 4) for w in want]}; it returned {result!r}.{replay}"
        )

    again, _, _ = _run_sgd(fn, n, epochs, size, eta, test_data, seeds[0], counts)
    if again._batches != recorder._batches:
        raise CheckFailed(f"SGD: {_HINTS['global_rng']}")
    other, _, _ = _run_sgd(fn, n, epochs, size, eta, test_data, seeds[1], counts)
    if other._batches == recorder._batches:
        raise CheckFailed(f"SGD: {_HINTS['fixed_seed']}")

    quiet, result, _ = _run_sgd(fn, n, 2, size, eta, None, None)
    if quiet._evaluated:
        raise CheckFailed(
            "SGD called evaluate although test_data was None; evaluate only "
            "when there is test data."
        )
    if len(quiet._batches) != 2 * len(per_epoch):
        raise CheckFailed(
            f"with test_data=None and rng=None, SGD should still train: "
            f"{2 * len(per_epoch)} mini-batches in 2 epochs; it made "
            f"{len(quiet._batches)}."
        )
    if not isinstance(result, (list, tuple)) or len(result) != 0:
        raise CheckFailed(
            f"with test_data=None, SGD should return an empty list (no "
            f"accuracies to report); it returned {result!r}."
        )


# --- the notebook's questions ------------------------------------------------------------

QUESTIONS = {
    "parity_answer": (
        "c",
        {
            "a": "a larger eta does not help: the network found nothing to learn, not too "
            "little. See the explanation below the question.",
            "b": "more epochs do not help: the accuracy is not creeping up, it hovers around "
            "50% from the start. See the explanation below the question.",
            "d": "two output neurons are enough for a yes/no answer, as even/odd shows. See "
            "the explanation below the question.",
        },
    ),
    "eta_answer": (
        "b",
        {
            "a": "overfitting would show as a high training accuracy with a lower test "
            "accuracy; here the network does not learn at all.",
            "c": "more epochs do not help: the accuracy is stuck from the first epoch on.",
            "d": "float64 rounding errors are about 1e-16 of each number, far too small to "
            "matter here.",
        },
    ),
}


def check_choice(
    name: str, answer: Any, questions: dict[str, tuple[str, dict[str, str]]] = QUESTIONS
) -> None:
    """The notebook's multiple-choice question ``name`` (a key of ``questions``: the right
    letter and, per wrong letter, why it is wrong) was answered right."""
    right, why_not = questions[name]
    choice = answer.strip().lower().strip("()") if isinstance(answer, str) else None
    if choice == right:
        return
    if choice in why_not:
        raise CheckFailed(f"{name} = {answer!r} is not the best answer: {why_not[choice]}")
    raise CheckFailed(
        f"{name} should be one of the letters {sorted([right, *why_not])}, as "
        f"a string; it is {answer!r}."
    )


def check_parity_answer(answer: Any) -> None:
    """The answer to: why can Network([32, 2]) not learn the parity of the 1 bits?"""
    check_choice("parity_answer", answer)


def check_eta_answer(answer: Any) -> None:
    """The answer to: why is eta = 100 stuck near chance?"""
    check_choice("eta_answer", answer)


CATALOGUE = UPDATE_MINI_BATCH_MISTAKES + SGD_MISTAKES
# The methods of the stand-ins (``self``) that the student's code may call during each
# check, when the grader runs it (handnet_grader.trust.grader_link); any other is not lent.
HELPERS = {"check_update_mini_batch": ("backprop",), "check_SGD": ("update_mini_batch", "evaluate")}

CHECKS = {"update_mini_batch": check_update_mini_batch, "SGD": check_SGD}
REFERENCES = {"update_mini_batch": reference_update_mini_batch, "SGD": reference_SGD}
