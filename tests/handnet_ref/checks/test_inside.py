"""Checks of assignment 7 beyond the generic catalogue test: other correct ways of writing
the exercises pass, and wrong answers without a catalogue entry get a clear message."""

import numpy as np
import pytest

from handnet_ref.checks.core import CheckFailed
from handnet_ref.checks.inside import (
    check_confusion_matrix,
    check_hidden_weight_images,
    check_most_confident_mistakes,
    check_most_confused,
    check_per_class_accuracy,
    check_strongest_hidden_neurons,
)


def test_lists_and_tuples_are_as_good_as_arrays():
    """Do answers given as lists, tuples or NumPy ints pass?"""
    check_hidden_weight_images(lambda weights: [row.reshape(28, 28) for row in weights[0]])
    check_strongest_hidden_neurons(
        lambda weights, digit, k: sorted(
            range(len(weights[1][digit])), key=lambda j: -weights[1][digit][j]
        )[:k]
    )
    check_most_confused(
        lambda C: np.unravel_index(
            np.argmax(np.where(np.eye(len(C), dtype=bool), -1, C)), np.shape(C)
        )
    )
    check_per_class_accuracy(lambda C: [C[i][i] / sum(C[i]) for i in range(len(C))])


def test_confusion_matrix_with_a_loop_and_float_counts_passes():
    """Does a loop that counts in floats pass (counts are compared as numbers)?"""

    def loop(predictions, labels, n_classes=10):
        C = np.zeros((n_classes, n_classes))
        for label, guess in zip(labels, predictions):
            C[label, guess] += 1
        return C

    check_confusion_matrix(loop)


def test_confusion_matrix_ignoring_n_classes_gets_a_shape_message():
    """Does a matrix sized by the largest label seen fail, saying the expected shape?"""

    def sized_by_data(predictions, labels, n_classes=10):
        n = max(max(labels), max(predictions)) + 1
        C = np.zeros((n, n), dtype=int)
        np.add.at(C, (labels, predictions), 1)
        return C

    with pytest.raises(CheckFailed, match="should have shape"):
        check_confusion_matrix(sized_by_data)


def test_most_confident_mistakes_as_a_list_passes_and_a_wrong_one_is_described():
    """Does a pure-Python answer pass, and does 'the first k mistakes' (no catalogue entry)
    fail with the first differing index and the seed?"""

    def python(outputs, labels, k):
        guesses = np.argmax(outputs, axis=0)
        wrong = [i for i in range(len(labels)) if guesses[i] != labels[i]]
        return sorted(wrong, key=lambda i: -outputs[guesses[i], i])[:k]

    check_most_confident_mistakes(python)

    def first_k(outputs, labels, k):
        return np.flatnonzero(np.argmax(outputs, axis=0) != labels)[:k]

    with pytest.raises(CheckFailed, match=r"most_confident_mistakes is wrong: .*check seed 7"):
        check_most_confident_mistakes(first_k)


def test_a_function_that_is_not_written_yet_says_so():
    """Does the untouched stub (NotImplementedError) get 'not written yet'?"""

    def stub(*args):
        raise NotImplementedError("Replace this line with your code")

    for check in (
        check_hidden_weight_images,
        check_confusion_matrix,
        check_most_confused,
        check_most_confident_mistakes,
    ):
        with pytest.raises(CheckFailed, match="not written yet"):
            check(stub)


def test_something_that_is_not_a_function_is_refused():
    """Does passing a number instead of a function give a clear message?"""
    with pytest.raises(CheckFailed, match="expected a function"):
        check_per_class_accuracy(3)
