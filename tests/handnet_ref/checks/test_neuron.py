"""Checks of assignment 1 with signatures the generic catalogue test does not cover."""

import numpy as np
import pytest

from handnet_ref.checks.core import CheckFailed
from handnet_ref.checks.neuron import check_nand, check_sigmoid_extremes


def test_nand_accepts_a_right_gate_and_names_the_wrong_row():
    """Does (-2, -2, 3) pass, and an AND gate fail naming an input it gets wrong?"""
    check_nand(np.array([-2.0, -2.0]), 3.0)
    check_nand([-1, -1], 1.5)
    with pytest.raises(CheckFailed, match=r"^NAND gives 1 for inputs \(0, 0\)"):
        check_nand([1.0, 1.0], -1.5)


def test_nand_with_malformed_weights_says_what_is_expected():
    """Do three weights or a text bias get a message saying two numbers and one number?"""
    with pytest.raises(CheckFailed, match="two numbers"):
        check_nand([1, 2, 3], 1.0)
    with pytest.raises(CheckFailed, match="two numbers"):
        check_nand([1, 2], "big")


def test_naive_sigmoid_fails_the_extremes_check_with_the_overflow_hint(capfd):
    """Is the textbook formula, which warns at z = -1000, failed with advice on clipping,
    and is the warning kept off stderr?"""
    with pytest.raises(CheckFailed, match="clip z"):
        check_sigmoid_extremes(lambda z: 1 / (1 + np.exp(-z)))
    assert capfd.readouterr().err == ""


def test_clipped_sigmoid_passes_the_extremes_check():
    """Does clipping z to [-500, 500] count as safe and exact enough?"""
    check_sigmoid_extremes(lambda z: 1 / (1 + np.exp(-np.clip(z, -500, 500))))
