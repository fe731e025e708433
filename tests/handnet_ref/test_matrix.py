import numpy as np
import pytest

from handnet_ref import network2
from handnet_ref.costs import CrossEntropyCost, QuadraticCost
from handnet_ref.matrix import backprop_batch
from handnet_ref.network import Network
from handnet_ref.training import run_sgd


def per_example_sums(net, X, Y):
    """Sums over the columns of the per-example backprop gradients."""
    sums_b = [np.zeros(b.shape) for b in net.biases]
    sums_w = [np.zeros(w.shape) for w in net.weights]
    for j in range(X.shape[1]):
        nb, nw = net.backprop(X[:, [j]], Y[:, [j]])
        sums_b = [s + g for s, g in zip(sums_b, nb)]
        sums_w = [s + g for s, g in zip(sums_w, nw)]
    return sums_b, sums_w


@pytest.mark.parametrize("sizes", [[784, 30, 10], [6, 5, 4, 3]])
@pytest.mark.parametrize("cost", [QuadraticCost, CrossEntropyCost])
def test_batch_gradients_equal_the_per_example_loop(sizes, cost):
    """Does backprop_batch give the summed per-example gradients to 1e-12 in float64?"""
    net = network2.Network(sizes, cost=cost, init="large", rng=0)
    rng = np.random.default_rng(1)
    X = rng.random((sizes[0], 10))
    Y = np.eye(sizes[-1])[:, rng.integers(sizes[-1], size=10)]
    nabla_b, nabla_w = backprop_batch(net.weights, net.biases, X, Y, cost)
    loop_b, loop_w = per_example_sums(net, X, Y)
    for batch, loop in zip(nabla_b + nabla_w, loop_b + loop_w):
        assert batch.shape == loop.shape
        np.testing.assert_allclose(batch, loop, rtol=0, atol=1e-12)


@pytest.mark.parametrize("lmbda", [0.0, 5.0])
def test_run_sgd_trains_as_the_books_sgd(lmbda):
    """Do run_sgd (a mini-batch at a time) and network2's SGD (one example at a time),
    given the same seed, end within 1e-12 of each other, with the same history?"""
    rng = np.random.default_rng(2)
    X, labels = rng.random((8, 57)), rng.integers(3, size=57)  # 57: a short last batch
    fast, book = [network2.Network([8, 6, 3], rng=3) for _ in range(2)]
    monitors = dict(
        lmbda=lmbda,
        evaluation_data=(X[:, :20], labels[:20]),
        monitor_evaluation_accuracy=True,
        monitor_training_cost=True,
        rng=4,
        progress=False,
    )
    h_fast = run_sgd(fast, (X, labels), 3, 10, 0.5, **monitors)
    h_book = book.SGD((X, labels), 3, 10, 0.5, **monitors)
    for a, b in zip(fast.weights + fast.biases, book.weights + book.biases):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert h_fast.evaluation_accuracy == h_book.evaluation_accuracy
    np.testing.assert_allclose(h_fast.training_cost, h_book.training_cost, rtol=1e-12)


def test_float32_training_follows_float64():
    """Does a float32 network train along the float64 one, within float32 rounding?"""
    rng = np.random.default_rng(5)
    X, labels = rng.random((8, 100)), rng.integers(3, size=100)
    n64 = Network([8, 6, 3], rng=6)
    n32 = Network([8, 6, 3], rng=6, dtype=np.float32)
    for net in (n64, n32):
        net.SGD((X, labels), 2, 10, 1.0, rng=7, progress=False)
    for a, b in zip(n64.weights, n32.weights):
        np.testing.assert_allclose(a, b, atol=1e-4)
