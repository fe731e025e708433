"""The checks of assignment 3 beyond the generic catalogue test: the output-layer and
one-hidden-layer checks, the student's class as argument, solutions written differently,
and clear messages for mistakes outside the catalogue."""

import re

import numpy as np
import pytest

from handnet_ref.activations import sigmoid, sigmoid_prime
from handnet_ref.checks import CheckFailed
from handnet_ref.checks import backprop as bp
from handnet_ref.gradcheck import numerical_gradient
from handnet_ref.network import Network as ReferenceNetwork


def book_style_backprop(self, x, y):
    """backprop written with np.dot and a list of deltas, as a student might."""
    activations, zs = [x], []
    for b, w in zip(self.biases, self.weights):
        zs.append(np.dot(w, activations[-1]) + b)
        activations.append(sigmoid(zs[-1]))
    deltas = [self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])]
    for l in range(2, self.num_layers):
        deltas.insert(
            0, np.dot(self.weights[-l + 1].transpose(), deltas[0]) * sigmoid_prime(zs[-l])
        )
    nabla_b = deltas
    nabla_w = [np.dot(d, a.transpose()) for d, a in zip(deltas, activations[:-1])]
    return nabla_b, nabla_w


def quadratic_cost(net, x, y):
    """Nielsen's C = 1/2 ||a - y||^2, with a forward pass of its own (1 / (1 + e^-z)), so
    that the gradients below share no code with handnet_ref."""
    a = x
    for b, w in zip(net.biases, net.weights):
        a = 1.0 / (1.0 + np.exp(-(w @ a + b)))
    return 0.5 * float(np.sum((a - y) ** 2))


def centred_differences(net, x, y, h=1e-5):
    """(nabla_b, nabla_w): (C(p + h) - C(p - h)) / 2h for every parameter p, each put back."""
    grads = []
    for params in (net.biases, net.weights):
        grads.append([])
        for p in params:
            g = np.zeros(p.shape)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                plus = quadratic_cost(net, x, y)
                p[i] = old - h
                minus = quadratic_cost(net, x, y)
                p[i] = old
                g[i] = (plus - minus) / (2 * h)
            grads[-1].append(g)
    return grads


@pytest.mark.parametrize(
    "backprop", [bp.reference_backprop, book_style_backprop], ids=["reference", "book_style"]
)
@pytest.mark.parametrize("sizes", [[3, 4, 2], [3, 4, 4, 2]], ids=["3-4-2", "3-4-4-2"])
def test_backprop_matches_numerical_gradient(backprop, sizes):
    """Does backprop give, layer by layer, the gradient that centred differences of the
    quadratic cost give (h = 1e-5, float64), to a relative error below 1e-7? Two hidden
    layers as well as one, so that BP2 is used more than once."""
    rng = np.random.default_rng(231)
    net = ReferenceNetwork(sizes, rng=rng)
    x = rng.random((sizes[0], 1))
    y = np.eye(sizes[-1])[:, [1]]
    nabla_b, nabla_w = backprop(net, x, y)
    num_b, num_w = centred_differences(net, x, y)
    for analytic, numerical in zip(nabla_b + nabla_w, num_b + num_w):
        assert analytic.shape == numerical.shape
        error = np.linalg.norm(analytic - numerical) / (
            np.linalg.norm(analytic) + np.linalg.norm(numerical)
        )
        assert error < 1e-7


@pytest.mark.parametrize(
    "check", [bp.check_backprop_output, bp.check_backprop_shallow, bp.check_backprop]
)
def test_a_differently_written_backprop_passes(check):
    """Does each check pass backprop written with np.dot and a list of deltas, which the
    numerical gradient above shows to be right?"""
    check(book_style_backprop)


def test_the_checks_take_the_students_class():
    class Network:
        backprop = book_style_backprop
        cost_derivative = bp.reference_cost_derivative

    bp.check_backprop(Network)
    bp.check_cost_derivative(Network)


def variant(key):
    return next(m for m in bp.CATALOGUE if m.key == key)


@pytest.mark.parametrize(
    "key",
    [
        "backprop.nabla_w_transposed",
        "backprop.no_sigma_prime_bp1",
        "backprop.sigma_prime_of_activation_output",
        "backprop.activation_index_everywhere",
        "backprop.sign",
        "backprop.swapped_return",
    ],
)
def test_the_output_layer_check_names_output_layer_mistakes(key):
    mistake = variant(key)
    with pytest.raises(CheckFailed):
        bp.check_backprop_output(mistake.variant)
    try:
        bp.check_backprop_output(mistake.variant)
    except CheckFailed as e:
        # Mistakes that look the same on the output layer share their advice.
        same = {"backprop.sigma_prime_of_activation_output": "backprop.sigma_prime_of_activation"}
        assert str(e) == f"backprop: {variant(same.get(key, key)).hint}"


@pytest.mark.parametrize(
    "key",
    [
        "backprop.activation_index",
        "backprop.no_sigma_prime_bp2",
        "backprop.hidden_layers_missing",
        "backprop.no_transpose",
        "backprop.loop_once",
    ],
)
def test_hidden_layer_mistakes_keep_the_output_layer_points(key):
    """A mistake confined to the hidden layers passes the output-layer check."""
    bp.check_backprop_output(variant(key).variant)


@pytest.mark.parametrize(
    "key",
    [
        "backprop.activation_index",
        "backprop.no_sigma_prime_bp2",
        "backprop.hidden_layers_missing",
        "backprop.no_transpose",
        "backprop.weight_index",
        "backprop.sigma_prime_of_activation",
    ],
)
def test_the_one_hidden_layer_check_names_hidden_layer_mistakes(key):
    with pytest.raises(CheckFailed, match=re.escape(variant(key).hint)):
        bp.check_backprop_shallow(variant(key).variant)


def test_a_loop_that_runs_once_passes_with_one_hidden_layer_only():
    bp.check_backprop_shallow(variant("backprop.loop_once").variant)
    with pytest.raises(CheckFailed, match=re.escape(variant("backprop.loop_once").hint)):
        bp.check_backprop(variant("backprop.loop_once").variant)


def test_an_uncatalogued_backprop_mistake_gets_the_first_difference():
    def halved(self, x, y):
        nabla_b, nabla_w = bp.reference_backprop(self, x, y)
        return [b / 2 for b in nabla_b], nabla_w

    with pytest.raises(CheckFailed, match=r"backprop, item 0,+ item \d+, is wrong: at index"):
        bp.check_backprop(halved)


def test_backprop_that_returns_something_else_is_told_the_expected_pair():
    with pytest.raises(CheckFailed, match=r"a pair \(nabla_b, nabla_w\)"):
        bp.check_backprop_output(lambda self, x, y: None)


def test_a_numerical_gradient_that_restores_by_adding_back_passes():
    """Restoring by p += h; p -= 2h; p += h leaves rounding noise, which is fine."""

    def numerical_gradient(net, x, y, h=1e-5):
        cost = lambda: 0.5 * np.linalg.norm(net.feedforward(x) - y) ** 2
        grads = []
        for params in (net.biases, net.weights):
            layer = []
            for p in params:
                g = np.zeros_like(p)
                for j in range(p.shape[0]):
                    for k in range(p.shape[1]):
                        p[j, k] += h
                        plus = cost()
                        p[j, k] -= 2 * h
                        minus = cost()
                        p[j, k] += h
                        g[j, k] = (plus - minus) / (2 * h)
                layer.append(g)
            grads.append(layer)
        return tuple(grads)

    bp.check_numerical_gradient(numerical_gradient)


def test_numerical_gradient_on_a_copy_of_the_network_passes():
    import copy

    def numerical_gradient(net, x, y, h=1e-5):
        return bp.reference_numerical_gradient(copy.deepcopy(net), x, y, h)

    bp.check_numerical_gradient(numerical_gradient)


def test_a_numerical_gradient_of_the_wrong_cost_gets_the_first_difference():
    def cube(net, x, y, h=1e-5):
        cost = lambda: float(np.sum(np.abs(net.feedforward(x) - y) ** 3))
        return (
            [numerical_gradient(cost, b, h) for b in net.biases],
            [numerical_gradient(cost, w, h) for w in net.weights],
        )

    with pytest.raises(CheckFailed, match=r"numerical_gradient, item \d,+ item \d, is wrong"):
        bp.check_numerical_gradient(cube)


def test_rel_error_with_another_small_guard_passes():
    bp.check_rel_error(
        lambda a, b: np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b) + 1e-8)
    )


def test_cost_derivative_returning_a_list_is_read_as_numbers():
    """A student's nested list of the right numbers counts as the right column."""
    bp.check_cost_derivative(lambda self, a, y: (a - y).tolist())
