import json

import numpy as np
import pytest

from handnet_ref import network2
from handnet_ref.costs import CrossEntropyCost, QuadraticCost
from handnet_ref.gradcheck import network_numerical_gradients, rel_error


@pytest.mark.parametrize("cost", [QuadraticCost, CrossEntropyCost])
def test_backprop_matches_numerical_gradient_for_each_cost(cost):
    """Does backprop with each cost's delta agree with centred differences (< 1e-7)?"""
    net = network2.Network([4, 5, 3], cost=cost, rng=0)
    rng = np.random.default_rng(1)
    x, y = rng.random((4, 1)), np.eye(3)[:, [1]]
    nabla_b, nabla_w = net.backprop(x, y)
    num_b, num_w = network_numerical_gradients(net, x, y)
    assert max(rel_error(a, n) for a, n in zip(nabla_b + nabla_w, num_b + num_w)) < 1e-7


def test_l2_update_decays_weights_but_not_biases():
    """Is w -> (1 - eta lmbda / n) w - (eta/m) nabla_w, with biases not decayed?"""
    net = network2.Network([3, 2], rng=0)
    x, y = np.ones((3, 1)), np.array([[1.0], [0.0]])
    nabla_b, nabla_w = net.backprop(x, y)
    w0, b0 = net.weights[0].copy(), net.biases[0].copy()
    net.update_mini_batch([(x, y)], eta=0.5, lmbda=2.0, n=10)
    np.testing.assert_allclose(net.weights[0], (1 - 0.5 * 2.0 / 10) * w0 - 0.5 * nabla_w[0])
    np.testing.assert_allclose(net.biases[0], b0 - 0.5 * nabla_b[0])


def test_total_cost_adds_the_l2_term():
    """Is total_cost the mean cost plus lmbda / (2 n) sum ||w||^2?"""
    net = network2.Network([3, 2], rng=0)
    data = [(np.ones((3, 1)), 1), (np.zeros((3, 1)), 0)]
    plain = net.total_cost(data)
    by_hand = sum(CrossEntropyCost.fn(net.feedforward(x), np.eye(2)[:, [j]]) for x, j in data) / 2
    assert plain == pytest.approx(by_hand)
    l2 = 0.5 * (3.0 / 2) * sum(float(np.sum(w**2)) for w in net.weights)
    assert net.total_cost(data, lmbda=3.0) == pytest.approx(by_hand + l2)


def test_monitoring_records_each_requested_quantity_per_epoch():
    """With all four monitors on, does every list get one entry per epoch?"""
    rng = np.random.default_rng(0)
    X, labels = rng.random((5, 80)), rng.integers(2, size=80)
    net = network2.Network([5, 4, 2], rng=1)
    h = net.SGD(
        (X[:, :60], labels[:60]),
        4,
        10,
        0.5,
        lmbda=0.1,
        evaluation_data=(X[:, 60:], labels[60:]),
        monitor_evaluation_cost=True,
        monitor_evaluation_accuracy=True,
        monitor_training_cost=True,
        monitor_training_accuracy=True,
        rng=2,
        progress=False,
    )
    assert [len(v) for v in h] == [4, 4, 4, 4]
    assert h.training_cost[-1] == pytest.approx(net.total_cost((X[:, :60], labels[:60]), 0.1))
    assert h.evaluation_accuracy[-1] == net.accuracy((X[:, 60:], labels[60:])) / 20


def test_sgd_stops_early_when_accuracy_stalls():
    """With eta = 0 nothing improves: does early_stopping_n = 3 stop after 4 epochs?"""
    rng = np.random.default_rng(0)
    X, labels = rng.random((5, 40)), rng.integers(2, size=40)
    net = network2.Network([5, 2], rng=1)
    h = net.SGD(
        (X, labels),
        50,
        10,
        0.0,
        evaluation_data=(X, labels),
        monitor_evaluation_accuracy=True,
        early_stopping_n=3,
        rng=2,
        progress=False,
    )
    assert h.epochs == 4 and h.stopped_early


def test_early_stopping_without_evaluation_data_is_refused():
    """Does asking for early stopping with nothing to evaluate raise?"""
    net = network2.Network([2, 2], rng=0)
    with pytest.raises(ValueError, match="evaluation_data"):
        net.SGD([(np.zeros((2, 1)), np.zeros((2, 1)))], 1, 1, 1.0, early_stopping_n=2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_and_load_round_trip(tmp_path, dtype):
    """Does a saved network load with the same sizes, cost, dtype and exact parameters?"""
    net = network2.Network([4, 3, 2], cost=QuadraticCost, init="large", rng=5, dtype=dtype)
    path = tmp_path / "net.json"
    net.save(path)
    loaded = network2.load(path)
    assert loaded.sizes == [4, 3, 2] and loaded.cost is QuadraticCost and loaded.init == "large"
    for a, b in zip(net.weights + net.biases, loaded.weights + loaded.biases):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    x = np.linspace(0, 1, 4).reshape(4, 1)
    np.testing.assert_array_equal(net.feedforward(x), loaded.feedforward(x))


def test_loading_a_damaged_file_names_the_file(tmp_path):
    """Do a truncated file and a file with wrong shapes both raise with the file's name?"""
    net = network2.Network([4, 3, 2], rng=0)
    path = tmp_path / "net.json"
    net.save(path)
    good = path.read_text()
    path.write_text(good[: len(good) // 2])
    with pytest.raises(ValueError, match="net.json"):
        network2.load(path)
    data = json.loads(good)
    data["sizes"] = [4, 5, 2]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="shapes"):
        network2.load(path)


def test_unknown_initialiser_is_refused():
    """Does init='xavier' (not ours) raise and list the choices?"""
    with pytest.raises(ValueError, match="large"):
        network2.Network([2, 2], init="xavier")
