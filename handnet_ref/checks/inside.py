"""Checks for assignment 7, looking inside a trained network: the hidden neurons' weights
as images, the hidden neurons an output neuron relies on most, the confusion matrix, the
most confused pair of digits, the accuracy per digit, and the most confident mistakes.

Conventions: ``weights[0]`` has shape (n_hidden, 784), one row per hidden neuron;
``outputs`` has shape (n_classes, N), one column per example; labels and predictions are
int arrays of shape (N,).

(Over 300 lines: the checks of one assignment and the catalogue of their
mistakes, each with its hint, kept in one module so that the notebook, this module
and its test file line up.)
"""

from typing import Any

import numpy as np

from .core import CheckFailed, Mistake, check_rng, compare_function, type_name

ASSIGNMENT = "07_inside"

SIDE = 28


def _weights(rng, n_hidden, n_out=10):
    return [
        rng.normal(0, 0.3, size=(n_hidden, SIDE * SIDE)),
        rng.normal(0, 1, size=(n_out, n_hidden)),
    ]


def _as_array(fn, what="your function"):
    """The function with its result turned into a float array (a list or tuple of numbers
    is as good as an array here)."""
    if not callable(fn):
        raise CheckFailed(f"{what}: expected a function, got {type_name(fn)}.")

    def wrapped(*args):
        result = fn(*args)
        try:
            return np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError):
            return result

    return wrapped


def _compare(fn, reference, cases, mistakes, what, seed):
    """compare_function with every result (the student's, the reference's, the
    variants') seen as an array."""
    mistakes = tuple(Mistake(m.key, m.hint, _as_array(m.variant)) for m in mistakes)
    compare_function(
        _as_array(fn, what), _as_array(reference), cases, mistakes, what=what, seed=seed
    )


# --- hidden neurons ---------------------------------------------------------------------


def reference_hidden_weight_images(weights: list[np.ndarray]) -> np.ndarray:
    """Row j of weights[0] as a 28 x 28 image: shape (n_hidden, 28, 28)."""
    W = np.asarray(weights[0])
    return W.reshape(len(W), SIDE, SIDE)


HIDDEN_WEIGHT_IMAGES_MISTAKES = (
    Mistake(
        "hidden_weight_images.columns",
        "cut row j of weights[0], weights[0][j] of shape (784,), into hidden neuron j's "
        "image: you reshaped the columns of weights[0] (weights[0].T).",
        lambda weights: np.asarray(weights[0]).T.reshape(len(weights[0]), SIDE, SIDE),
    ),
    Mistake(
        "hidden_weight_images.transposed_images",
        'reshape with NumPy\'s default order (order="C"), row by row as the pixels were '
        "stored: each of your images is transposed.",
        lambda weights: reference_hidden_weight_images(weights).transpose(0, 2, 1),
    ),
)


def check_hidden_weight_images(hidden_weight_images: Any) -> None:
    """hidden_weight_images(weights) for random networks with several hidden sizes."""
    rng, seed = check_rng()
    cases = [(_weights(rng, int(n)),) for n in (rng.integers(5, 15), 30, rng.integers(40, 60))]
    _compare(
        hidden_weight_images,
        reference_hidden_weight_images,
        cases,
        HIDDEN_WEIGHT_IMAGES_MISTAKES,
        what="hidden_weight_images",
        seed=seed,
    )


def reference_strongest_hidden_neurons(weights: list[np.ndarray], digit: int, k: int) -> np.ndarray:
    """Indices of the k hidden neurons with the largest weights into output ``digit``,
    largest first."""
    return np.argsort(-np.asarray(weights[1])[digit], kind="stable")[:k]


STRONGEST_MISTAKES = (
    Mistake(
        "strongest_hidden_neurons.column",
        "read row `digit` of weights[1], weights[1][digit], one weight per hidden neuron: "
        "you read column `digit`.",
        lambda weights, digit, k: np.argsort(-np.asarray(weights[1])[:, digit])[:k],
    ),
    Mistake(
        "strongest_hidden_neurons.ascending",
        "put the largest weight first: you have the right neurons in the wrong order.",
        lambda weights, digit, k: reference_strongest_hidden_neurons(weights, digit, k)[::-1],
    ),
    Mistake(
        "strongest_hidden_neurons.smallest",
        "sort -w (np.argsort sorts in increasing order), or take the end and reverse it: "
        "you returned the neurons with the smallest (most negative) weights.",
        lambda weights, digit, k: np.argsort(np.asarray(weights[1])[digit])[:k],
    ),
    Mistake(
        "strongest_hidden_neurons.absolute",
        "rank the weights by value, not by size |w|: a large negative weight means the "
        "neuron argues against the digit.",
        lambda weights, digit, k: np.argsort(-np.abs(np.asarray(weights[1])[digit]))[:k],
    ),
)


def check_strongest_hidden_neurons(strongest_hidden_neurons: Any) -> None:
    """strongest_hidden_neurons(weights, digit, k) on random networks."""
    rng, seed = check_rng()
    cases = []
    for n_hidden in (int(rng.integers(12, 20)), 30, int(rng.integers(40, 60))):
        weights = _weights(rng, n_hidden)
        weights[1][:, :3] += 6.0  # three large positive weights into every output, then
        weights[1][:, 3:6] -= 4.0  # three large negative ones: |w| ranks differently
        cases.append((weights, int(rng.integers(0, 10)), int(rng.integers(4, 9))))
    _compare(
        strongest_hidden_neurons,
        reference_strongest_hidden_neurons,
        cases,
        STRONGEST_MISTAKES,
        what="strongest_hidden_neurons",
        seed=seed,
    )


# --- the confusion matrix ---------------------------------------------------------------


def reference_confusion_matrix(
    predictions: np.ndarray, labels: np.ndarray, n_classes: int = 10
) -> np.ndarray:
    """C[i, j] = how many examples with label i were guessed as j."""
    C = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(C, (np.asarray(labels), np.asarray(predictions)), 1)
    return C


def _row_normalised(C):
    sums = C.sum(axis=1, keepdims=True)
    return C / np.where(sums == 0, 1, sums)


CONFUSION_MISTAKES = (
    Mistake(
        "confusion_matrix.transposed",
        "put the labels in the rows and the guesses in the columns, C[label, guess] += 1: "
        "your matrix is transposed.",
        lambda p, l, n=10: reference_confusion_matrix(p, l, n).T,
    ),
    Mistake(
        "confusion_matrix.row_normalised",
        "return the counts (integers); you divided each row by its total.",
        lambda p, l, n=10: _row_normalised(reference_confusion_matrix(p, l, n)),
    ),
    Mistake(
        "confusion_matrix.total_normalised",
        "return the counts (integers); you divided by the number of examples.",
        lambda p, l, n=10: reference_confusion_matrix(p, l, n) / len(l),
    ),
)


def _predictions(rng, labels, n_classes, right=0.7):
    guesses = labels.copy()
    wrong = rng.random(len(labels)) > right
    guesses[wrong] = rng.integers(0, n_classes, size=int(wrong.sum()))
    return guesses


def check_confusion_matrix(confusion_matrix: Any) -> None:
    """confusion_matrix(predictions, labels, n_classes) with 10 and fewer classes, one of
    them never a label."""
    rng, seed = check_rng()
    cases = []
    for N, n_classes in ((int(rng.integers(100, 300)), 10), (int(rng.integers(30, 60)), 4)):
        labels = rng.integers(0, n_classes, size=N)
        cases.append((_predictions(rng, labels, n_classes), labels, n_classes))
    labels = rng.integers(0, 5, size=40)  # class 5 never occurs, class 4 is guessed
    cases.append((_predictions(rng, labels, 5), labels, 6))
    _compare(
        confusion_matrix,
        reference_confusion_matrix,
        cases,
        CONFUSION_MISTAKES,
        what="confusion_matrix",
        seed=seed,
    )


def reference_most_confused(C: np.ndarray) -> tuple[int, int]:
    """(label, guess) of the largest count off the diagonal of C."""
    C = np.asarray(C)
    off = np.where(np.eye(len(C), dtype=bool), -1, C)
    i, j = np.unravel_index(np.argmax(off), C.shape)
    return int(i), int(j)


MOST_CONFUSED_MISTAKES = (
    Mistake(
        "most_confused.diagonal",
        "leave the diagonal out (set it to -1 in a copy) before looking for the largest "
        "count: you found it on the diagonal, where the right answers are.",
        lambda C: np.unravel_index(np.argmax(np.asarray(C)), np.shape(C)),
    ),
    Mistake(
        "most_confused.swapped",
        "return (label, guess), not (guess, label): the row is the label, the column the guess.",
        lambda C: reference_most_confused(C)[::-1],
    ),
)


def _confusion(rng, n_classes):
    C = rng.integers(0, 20, size=(n_classes, n_classes))
    C[np.diag_indices(n_classes)] = rng.integers(200, 400, size=n_classes)
    i, j = rng.choice(n_classes, size=2, replace=False)
    C[i, j] = 60 + int(rng.integers(0, 30))  # one clear, asymmetric winner
    C[j, i] = int(rng.integers(0, 20))
    return C


def check_most_confused(most_confused: Any) -> None:
    """most_confused(C) on random confusion matrices with one clear largest mistake."""
    rng, seed = check_rng()
    cases = [(_confusion(rng, 10),), (_confusion(rng, 10),), (_confusion(rng, 4),)]
    _compare(
        most_confused,
        reference_most_confused,
        cases,
        MOST_CONFUSED_MISTAKES,
        what="most_confused",
        seed=seed,
    )


def reference_per_class_accuracy(C: np.ndarray) -> np.ndarray:
    """For each label i, the fraction of its examples guessed right: C[i, i] / sum_j C[i, j]."""
    C = np.asarray(C, dtype=np.float64)
    return np.diag(C) / C.sum(axis=1)


PER_CLASS_MISTAKES = (
    Mistake(
        "per_class_accuracy.columns",
        "divide by the row sums, the number of examples with each label: you divided by "
        "the column sums (how often each digit was guessed).",
        lambda C: np.diag(np.asarray(C, dtype=float)) / np.asarray(C, dtype=float).sum(axis=0),
    ),
    Mistake(
        "per_class_accuracy.percent",
        "return fractions between 0 and 1, not percentages.",
        lambda C: 100 * reference_per_class_accuracy(C),
    ),
)


def check_per_class_accuracy(per_class_accuracy: Any) -> None:
    """per_class_accuracy(C) on random confusion matrices."""
    rng, seed = check_rng()
    cases = [(_confusion(rng, 10),), (_confusion(rng, 10),), (_confusion(rng, 3),)]
    _compare(
        per_class_accuracy,
        reference_per_class_accuracy,
        cases,
        PER_CLASS_MISTAKES,
        what="per_class_accuracy",
        seed=seed,
    )


# --- the most confident mistakes --------------------------------------------------------


def _mistakes(outputs, labels, confidence="guess"):
    """(indices of the wrong guesses, their confidence)."""
    outputs, labels = np.asarray(outputs), np.asarray(labels)
    guesses = np.argmax(outputs, axis=0)
    wrong = np.flatnonzero(guesses != labels)
    rows = guesses[wrong] if confidence == "guess" else labels[wrong]
    return wrong, outputs[rows, wrong]


def reference_most_confident_mistakes(
    outputs: np.ndarray, labels: np.ndarray, k: int
) -> np.ndarray:
    """Indices of the k wrong guesses whose guessed class has the largest output
    activation, most confident first (all the wrong guesses if there are fewer than k)."""
    wrong, confidence = _mistakes(outputs, labels)
    return wrong[np.argsort(-confidence, kind="stable")[:k]]


MOST_CONFIDENT_MISTAKES = (
    Mistake(
        "most_confident_mistakes.includes_correct",
        "keep only the examples whose guess (np.argmax of the column) differs from the "
        "label: your list includes examples the network got right.",
        lambda outputs, labels, k: np.argsort(-np.max(outputs, axis=0), kind="stable")[:k],
    ),
    Mistake(
        "most_confident_mistakes.ascending",
        "put the most confident mistake (largest activation of the guessed class) first: "
        "you have the right mistakes in the wrong order.",
        lambda outputs, labels, k: reference_most_confident_mistakes(outputs, labels, k)[::-1],
    ),
    Mistake(
        "most_confident_mistakes.least",
        "sort by minus the confidence to put the most confident first (np.argsort sorts in "
        "increasing order): you returned the least confident mistakes.",
        lambda outputs, labels, k: _mistakes(outputs, labels)[0][
            np.argsort(_mistakes(outputs, labels)[1], kind="stable")[:k]
        ],
    ),
    Mistake(
        "most_confident_mistakes.true_label",
        "measure confidence by the activation of the guessed class (the largest in the "
        "column), not by that of the true label's neuron.",
        lambda outputs, labels, k: _mistakes(outputs, labels, "label")[0][
            np.argsort(-_mistakes(outputs, labels, "label")[1], kind="stable")[:k]
        ],
    ),
    Mistake(
        "most_confident_mistakes.local_indices",
        "return indices into all the examples (the columns of outputs), e.g. from "
        "np.flatnonzero(guesses != labels): yours count among the mistakes only.",
        lambda outputs, labels, k: np.argsort(-_mistakes(outputs, labels)[1], kind="stable")[:k],
    ),
)


def _outputs(rng, N, n_classes=10, right=0.7):
    labels = rng.integers(0, n_classes, size=N)
    outputs = rng.uniform(0, 0.5, size=(n_classes, N))
    guesses = _predictions(rng, labels, n_classes, right)
    outputs[guesses, np.arange(N)] = rng.uniform(0.5, 1.0, size=N)
    return outputs, labels


def check_most_confident_mistakes(most_confident_mistakes: Any) -> None:
    """most_confident_mistakes(outputs, labels, k) on random outputs, including a case with
    fewer mistakes than k."""
    rng, seed = check_rng()
    cases = [
        (*_outputs(rng, int(rng.integers(60, 120))), int(rng.integers(4, 9))),
        (*_outputs(rng, int(rng.integers(60, 120))), int(rng.integers(4, 9))),
        (*_outputs(rng, 30, n_classes=3), 5),
    ]
    outputs, labels = _outputs(rng, 40, right=1.0)  # exactly 3 mistakes, k = 5
    guesses = np.argmax(outputs, axis=0)
    for i in rng.choice(40, size=3, replace=False):
        labels[i] = (guesses[i] + 1 + int(rng.integers(0, 9))) % 10
    cases.append((outputs, labels, 5))
    _compare(
        most_confident_mistakes,
        reference_most_confident_mistakes,
        cases,
        MOST_CONFIDENT_MISTAKES,
        what="most_confident_mistakes",
        seed=seed,
    )


CATALOGUE = (
    HIDDEN_WEIGHT_IMAGES_MISTAKES
    + STRONGEST_MISTAKES
    + CONFUSION_MISTAKES
    + MOST_CONFUSED_MISTAKES
    + PER_CLASS_MISTAKES
    + MOST_CONFIDENT_MISTAKES
)

CHECKS = {
    "hidden_weight_images": check_hidden_weight_images,
    "strongest_hidden_neurons": check_strongest_hidden_neurons,
    "confusion_matrix": check_confusion_matrix,
    "most_confused": check_most_confused,
    "per_class_accuracy": check_per_class_accuracy,
    "most_confident_mistakes": check_most_confident_mistakes,
}

REFERENCES = {
    "hidden_weight_images": reference_hidden_weight_images,
    "strongest_hidden_neurons": reference_strongest_hidden_neurons,
    "confusion_matrix": reference_confusion_matrix,
    "most_confused": reference_most_confused,
    "per_class_accuracy": reference_per_class_accuracy,
    "most_confident_mistakes": reference_most_confident_mistakes,
}
