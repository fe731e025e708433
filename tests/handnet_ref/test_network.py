import numpy as np
import pytest

from handnet_ref.gradcheck import network_numerical_gradients, rel_error
from handnet_ref.network import Network
from handnet_ref.training import train_matrix


def random_examples(sizes, m, seed):
    """m (x, y) pairs: x (sizes[0], 1) uniform, y one-hot (sizes[-1], 1)."""
    rng = np.random.default_rng(seed)
    return [
        (rng.random((sizes[0], 1)), np.eye(sizes[-1])[:, [rng.integers(sizes[-1])]])
        for _ in range(m)
    ]


def test_parameter_shapes_follow_the_book():
    """Are weights[l] (sizes[l+1], sizes[l]) and biases[l] (sizes[l+1], 1)?"""
    net = Network([784, 30, 10], rng=0)
    assert [w.shape for w in net.weights] == [(30, 784), (10, 30)]
    assert [b.shape for b in net.biases] == [(30, 1), (10, 1)]
    assert net.num_layers == 3


def test_same_seed_same_network_different_seed_different_network():
    """Does rng=seed make initialisation reproducible?"""
    a, b, c = Network([3, 4, 2], rng=7), Network([3, 4, 2], rng=7), Network([3, 4, 2], rng=8)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_bad_sizes_are_refused():
    """Does a network with one layer or a non-positive size raise a clear error?"""
    for sizes in ([3], [3, 0], [3, 2.5]):
        with pytest.raises(ValueError, match="sizes"):
            Network(sizes)


def test_feedforward_of_a_hand_computed_network():
    """Is the output sigma(w sigma(w x + b) + b) for a 2-2-1 net worked out by hand?"""
    net = Network([2, 2, 1], rng=0)
    net.weights = [np.array([[1.0, -1.0], [0.5, 0.5]]), np.array([[2.0, -1.0]])]
    net.biases = [np.array([[0.0], [1.0]]), np.array([[-0.5]])]
    x = np.array([[1.0], [2.0]])
    s = lambda z: 1 / (1 + np.exp(-z))
    hidden = s(np.array([[1 - 2], [0.5 + 1 + 1]]))
    expected = s(2 * hidden[0] - hidden[1] - 0.5)
    np.testing.assert_allclose(net.feedforward(x), expected.reshape(1, 1), rtol=1e-15)


def test_feedforward_of_a_batch_equals_feedforward_of_each_column():
    """Does a (n, m) batch give the m columns that m single inputs give?"""
    net = Network([4, 5, 3], rng=1)
    X = np.random.default_rng(2).random((4, 6))
    batch = net.feedforward(X)
    for j in range(6):
        np.testing.assert_allclose(batch[:, [j]], net.feedforward(X[:, [j]]), rtol=1e-14)


@pytest.mark.parametrize("sizes", [[3, 4, 2], [5, 4, 3, 2], [2, 3]])
def test_backprop_matches_numerical_gradient(sizes):
    """Does backprop agree with centred differences to a relative error below 1e-7?"""
    net = Network(sizes, rng=3)
    ((x, y),) = random_examples(sizes, 1, seed=4)
    nabla_b, nabla_w = net.backprop(x, y)
    num_b, num_w = network_numerical_gradients(net, x, y)
    for analytic, numerical in zip(nabla_b + nabla_w, num_b + num_w):
        assert analytic.shape == numerical.shape
        assert rel_error(analytic, numerical) < 1e-7


def test_update_mini_batch_takes_the_mean_gradient_step():
    """Is the step w - (eta/m) sum nabla_w, b - (eta/m) sum nabla_b over the batch?"""
    net = Network([3, 4, 2], rng=5)
    batch = random_examples([3, 4, 2], 4, seed=6)
    grads = [net.backprop(x, y) for x, y in batch]
    w0, b0 = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    net.update_mini_batch(batch, eta=0.7)
    for l in range(2):
        sum_w = sum(g[1][l] for g in grads)
        sum_b = sum(g[0][l] for g in grads)
        np.testing.assert_allclose(net.weights[l], w0[l] - 0.7 / 4 * sum_w, rtol=1e-14)
        np.testing.assert_allclose(net.biases[l], b0[l] - 0.7 / 4 * sum_b, rtol=1e-14)


def test_evaluate_counts_argmax_hits_in_both_formats():
    """Does evaluate count correct argmaxes for (x, label) pairs and for arrays alike?"""
    net = Network([4, 3], rng=0)
    net.weights = [np.eye(3, 4) * 10]
    net.biases = [np.zeros((3, 1))]
    X = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=float)  # columns
    labels = np.array([0, 1, 0])
    pairs = [(X[:, [j]], int(labels[j])) for j in range(3)]
    assert net.evaluate(pairs) == 2
    assert net.evaluate((X, labels)) == 2


def test_cost_derivative_is_a_minus_y():
    """Is dC/da for the quadratic cost the plain difference a - y?"""
    a, y = np.array([[0.2], [0.9]]), np.array([[0.0], [1.0]])
    np.testing.assert_allclose(Network([1, 2]).cost_derivative(a, y), [[0.2], [-0.1]])


def test_sgd_learns_an_easy_task_and_returns_its_history():
    """Does SGD fit a separable toy task, and record one accuracy per epoch?"""
    rng = np.random.default_rng(0)
    X = rng.random((2, 400))
    labels = (X[0] > X[1]).astype(int)
    net = Network([2, 8, 2], rng=1)
    history = net.SGD(
        (X[:, :300], labels[:300]),
        20,
        10,
        3.0,
        test_data=(X[:, 300:], labels[300:]),
        rng=2,
        progress=False,
    )
    assert len(history.evaluation_accuracy) == 20 == history.epochs
    assert history.evaluation_accuracy[-1] > 0.9
    assert history.best_accuracy == max(history.evaluation_accuracy)


def test_sgd_is_reproducible_with_a_seed():
    """Do two runs with the same seeds end with identical weights?"""
    data = random_examples([3, 4, 2], 30, seed=9)
    nets = [Network([3, 4, 2], rng=1) for _ in range(2)]
    for net in nets:
        net.SGD(data, 3, 7, 1.0, rng=np.random.default_rng(4), progress=False)
    np.testing.assert_array_equal(nets[0].weights[0], nets[1].weights[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_keeps_the_network_dtype(dtype):
    """Does a float32 network stay float32 through the book's SGD and train_matrix?"""
    data = random_examples([3, 4, 2], 12, seed=1)
    for train in (Network.SGD, train_matrix):
        net = Network([3, 4, 2], rng=0, dtype=dtype)
        train(net, data, 1, 5, 1.0, rng=0, progress=False)
        assert {w.dtype for w in net.weights + net.biases} == {np.dtype(dtype)}


def test_sgd_rejects_data_given_as_rows():
    """Does an (N, n_in) array get a message that says to transpose it?"""
    net = Network([3, 2], rng=0)
    with pytest.raises(ValueError, match="transpose"):
        net.SGD((np.zeros((5, 3)), np.zeros(5, dtype=int)), 1, 2, 1.0, progress=False)
