import numpy as np
import pytest

from handnet_ref.gradcheck import numerical_gradient, rel_error


def test_numerical_gradient_of_a_quadratic_form():
    """Is the centred difference of x^T A x equal to (A + A^T) x, and x left unchanged?"""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal((4, 1))
    x_before = x.copy()
    grad = numerical_gradient(lambda: (x.T @ A @ x).item(), x)
    np.testing.assert_allclose(grad, (A + A.T) @ x, rtol=1e-8)
    np.testing.assert_array_equal(x, x_before)


def test_rel_error_is_zero_for_equal_and_large_for_transposed():
    """Does rel_error tell a transposed matrix from the right one?"""
    a = np.arange(6.0).reshape(2, 3) + 1
    assert rel_error(a, a) == 0.0
    assert rel_error(a, a.T.reshape(2, 3)) > 0.1
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0


def test_rel_error_refuses_mismatched_shapes():
    """Does comparing a (3, 2) with a (2, 3) array raise instead of broadcasting?"""
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.ones((3, 2)), np.ones((2, 3)))
