import numpy as np
import pytest

from handnet_ref.activations import sigmoid, sigmoid_prime
from handnet_ref.costs import CrossEntropyCost, QuadraticCost, cost_by_name


def test_quadratic_cost_value_and_delta():
    """Is C = 1/2 ||a - y||^2 and delta = (a - y) sigma'(z)?"""
    z = np.array([[0.5], [-1.0]])
    a, y = sigmoid(z), np.array([[1.0], [0.0]])
    assert QuadraticCost.fn(a, y) == pytest.approx(0.5 * float(np.sum((a - y) ** 2)))
    np.testing.assert_allclose(QuadraticCost.delta(z, a, y), (a - y) * sigmoid_prime(z))


def test_cross_entropy_delta_has_no_sigma_prime():
    """Is the cross-entropy delta exactly a - y, so a saturated wrong neuron still learns?"""
    z = np.array([[10.0], [-10.0]])
    a, y = sigmoid(z), np.array([[0.0], [1.0]])
    np.testing.assert_array_equal(CrossEntropyCost.delta(z, a, y), a - y)
    assert np.all(np.abs(QuadraticCost.delta(z, a, y)) < 1e-4)  # the slowdown


def test_cross_entropy_cost_is_the_formula_and_finite_at_0_and_1():
    """Is C = -sum[y ln a + (1-y) ln(1-a)], with 0 ln 0 = 0 and no warnings?"""
    a, y = np.array([[0.8], [0.3]]), np.array([[1.0], [0.0]])
    assert CrossEntropyCost.fn(a, y) == pytest.approx(-np.log(0.8) - np.log(0.7))
    with np.errstate(all="raise"):
        assert CrossEntropyCost.fn(np.array([[1.0], [0.0]]), np.array([[1.0], [0.0]])) == 0.0
    assert np.isfinite(CrossEntropyCost.fn(np.array([[0.0]]), np.array([[1.0]])))


@pytest.mark.parametrize("cost", [QuadraticCost, CrossEntropyCost])
def test_inplace_delta_equals_delta(cost):
    """Does the buffer version of delta compute the same numbers as delta(z, a, y)?"""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((10, 4))
    a, y = sigmoid(z), rng.random((10, 4))
    out, tmp = np.empty_like(a), np.empty_like(a)
    np.testing.assert_allclose(cost.delta_inplace(a, y, out, tmp), cost.delta(z, a, y), rtol=1e-13)


def test_cost_by_name_finds_both_and_names_the_known_ones():
    """Does a saved cost name map back to its class, and an unknown one list the choices?"""
    assert cost_by_name("cross-entropy") is CrossEntropyCost
    with pytest.raises(ValueError, match="quadratic"):
        cost_by_name("hinge")
