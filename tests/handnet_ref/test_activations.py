import warnings

import numpy as np
import pytest

from handnet_ref.activations import sigmoid, sigmoid_prime


def test_sigmoid_matches_the_formula_on_moderate_inputs():
    """Is sigma(z) = 1 / (1 + e^-z) where the formula cannot overflow?"""
    z = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_silent_and_exact_at_extremes(dtype):
    """Do huge |z| give 0 and 1 without any warning (stderr fails nbgrader test cells)?"""
    z = np.array([-1e6, -1000.0, -100.0, 100.0, 1000.0, 1e6], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = sigmoid(z)
        sigmoid_prime(z)
    assert a.dtype == dtype
    assert a[0] == 0.0 and a[-1] == 1.0
    assert np.all((a >= 0) & (a <= 1))


def test_sigmoid_keeps_relative_precision_for_very_negative_z():
    """Is sigma(-700) accurate to the last bits, not rounded to 0 (sigma(z) ~ e^z there)?"""
    assert sigmoid(-700.0) == pytest.approx(np.exp(-700.0), rel=1e-12)


def test_sigmoid_accepts_scalars_ints_and_leaves_its_input_alone():
    """Does sigmoid take a Python number or an int array, and never modify its argument?"""
    assert sigmoid(0) == 0.5
    z = np.array([[0, 1], [2, 3]])
    out = sigmoid(z)
    assert out.dtype == np.float64 and out.shape == (2, 2)
    assert z.tolist() == [[0, 1], [2, 3]]


def test_sigmoid_prime_is_the_derivative_of_sigmoid():
    """Does sigma'(z) equal the centred difference of sigma, and peak at 1/4 for z = 0?"""
    z = np.linspace(-8, 8, 33)
    h = 1e-6
    numerical = (sigmoid(z + h) - sigmoid(z - h)) / (2 * h)
    np.testing.assert_allclose(sigmoid_prime(z), numerical, atol=1e-9)
    assert sigmoid_prime(0.0) == 0.25
