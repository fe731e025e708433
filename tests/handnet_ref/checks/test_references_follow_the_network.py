"""Every check's reference computes what ``handnet_ref.network`` (and, for assignment 6,
``handnet_ref.network2``) computes, on random inputs: the checks grade against the book's
network, not against a copy of their own that could drift from it."""

import copy
import json
from types import SimpleNamespace

import numpy as np
import pytest

from handnet_ref import network2
from handnet_ref.checks import (
    backprop,
    batched,
    feedforward,
    improving_costs,
    improving_init_save,
    improving_l2,
    neuron,
    sgd,
)
from handnet_ref.checks._improving_net import COST_CLASSES, _Net
from handnet_ref.costs import CrossEntropyCost, QuadraticCost, cost_by_name
from handnet_ref.network import Network

SEEDS = range(5)


def random_network(rng, cls=Network, **kwargs):
    """A network of 2 to 4 layers of 2..7 neurons with N(0, 1) parameters drawn from rng."""
    sizes = [int(s) for s in rng.integers(2, 8, size=int(rng.integers(2, 5)))]
    return cls(sizes, rng=rng, **kwargs)


def random_pairs(rng, sizes, m):
    """m (x, y) pairs: x a column in [0, 1), y a one-hot column."""
    return [
        (rng.random((sizes[0], 1)), np.eye(sizes[-1])[:, [int(rng.integers(sizes[-1]))]])
        for _ in range(m)
    ]


def parameters(net):
    return [*net.weights, *net.biases]


def assert_all_close(got, expected, rtol=1e-12, atol=1e-12):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


@pytest.mark.parametrize("seed", SEEDS)
def test_neuron_references_are_the_networks_activations(seed):
    """Do the sigmoid references equal a one-layer network's outputs and their slope?"""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8))
    z = rng.normal(0, 4, size=(n, 3))
    net = Network([n, n], rng=0)
    net.weights, net.biases = [np.eye(n)], [np.zeros((n, 1))]
    np.testing.assert_allclose(neuron.REFERENCES["sigmoid"](z), net.feedforward(z), rtol=1e-15)
    a = net.feedforward(z)
    np.testing.assert_allclose(neuron.REFERENCES["sigmoid_prime"](z), a * (1 - a), rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_feedforward_references_follow_the_network(seed):
    """Do __init__, feedforward and evaluate's references give the network's numbers?"""
    rng = np.random.default_rng(seed)
    net = random_network(rng)
    built = Network.__new__(Network)
    feedforward.REFERENCES["init"](built, net.sizes, np.random.default_rng(seed + 100))
    assert_all_close(parameters(built), parameters(Network(net.sizes, rng=seed + 100)), 0, 0)
    for a in (rng.random((net.sizes[0], 1)), rng.random((net.sizes[0], 9))):
        np.testing.assert_allclose(
            feedforward.REFERENCES["feedforward"](net, a), net.feedforward(a), rtol=1e-15
        )
    test_data = [(x, int(np.argmax(y))) for x, y in random_pairs(rng, net.sizes, 40)]
    assert feedforward.REFERENCES["evaluate"](net, test_data) == net.evaluate(test_data)


@pytest.mark.parametrize("seed", SEEDS)
def test_backprop_references_follow_the_network(seed):
    """Do cost_derivative, backprop and numerical_gradient's references give the network's
    cost_derivative and backprop (the numerical one within finite-difference error)?"""
    rng = np.random.default_rng(seed)
    net = random_network(rng)
    a, y = rng.random((net.sizes[-1], 4)), rng.random((net.sizes[-1], 4))
    np.testing.assert_array_equal(
        backprop.REFERENCES["cost_derivative"](net, a, y), net.cost_derivative(a, y)
    )
    x, y = random_pairs(rng, net.sizes, 1)[0]
    nabla_b, nabla_w = net.backprop(x, y)
    got_b, got_w = backprop.REFERENCES["backprop"](net, x, y)
    assert_all_close(got_b + got_w, nabla_b + nabla_w)
    num_b, num_w = backprop.REFERENCES["numerical_gradient"](net, x, y, 1e-5)
    assert_all_close(num_b + num_w, nabla_b + nabla_w, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("seed", SEEDS)
def test_sgd_references_follow_the_network(seed):
    """Do update_mini_batch's and SGD's references leave the network's weights, and SGD's
    return the accuracies of the network's SGD, given the same seed?"""
    rng = np.random.default_rng(seed)
    net = random_network(rng)
    batch = random_pairs(rng, net.sizes, int(rng.integers(1, 12)))
    eta = float(rng.uniform(0.5, 3.0))
    mine, book = copy.deepcopy(net), copy.deepcopy(net)
    sgd.REFERENCES["update_mini_batch"](mine, batch, eta)
    book.update_mini_batch(batch, eta)
    assert_all_close(parameters(mine), parameters(book))

    data = random_pairs(rng, net.sizes, int(rng.integers(20, 40)))
    test_data = [(x, int(np.argmax(y))) for x, y in random_pairs(rng, net.sizes, 15)]
    mine, book = copy.deepcopy(net), copy.deepcopy(net)
    accuracies = sgd.REFERENCES["SGD"](mine, data, 3, 7, eta, test_data, seed)
    history = book.SGD(data, 3, 7, eta, test_data, rng=seed, progress=False)
    assert_all_close(parameters(mine), parameters(book))
    assert accuracies == history.evaluation_accuracy


@pytest.mark.parametrize("seed", SEEDS)
def test_batched_references_follow_the_network(seed):
    """Is backprop_matrix's reference the sum of the network's per-example backprop, and
    update_mini_batch_matrix's the network's update_mini_batch?"""
    rng = np.random.default_rng(seed)
    net = random_network(rng)
    pairs = random_pairs(rng, net.sizes, int(rng.integers(1, 12)))
    X, Y = np.hstack([x for x, _ in pairs]), np.hstack([y for _, y in pairs])
    got_b, got_w = batched.REFERENCES["backprop_matrix"](net, X, Y)
    sums = [np.zeros(p.shape) for p in net.biases + net.weights]
    for x, y in pairs:
        nabla_b, nabla_w = net.backprop(x, y)
        sums = [s + g for s, g in zip(sums, nabla_b + nabla_w)]
    assert_all_close(got_b + got_w, sums)

    class MatrixNetwork(Network):
        backprop_matrix = batched.REFERENCES["backprop_matrix"]

    mine = MatrixNetwork(net.sizes, rng=0)
    mine.weights, mine.biases = copy.deepcopy(net.weights), copy.deepcopy(net.biases)
    batched.REFERENCES["update_mini_batch_matrix"](mine, pairs, 2.0)
    net.update_mini_batch(pairs, 2.0)
    assert_all_close(parameters(mine), parameters(net))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("cost", [QuadraticCost, CrossEntropyCost])
def test_l2_references_follow_network2(seed, cost):
    """Do the L2 update, total_cost and accuracy references, and the L2 mistakes'
    generators without their slip, give network2's numbers?"""
    rng = np.random.default_rng(seed)
    net = random_network(rng, network2.Network, cost=cost, init="large")
    pairs = random_pairs(rng, net.sizes, int(rng.integers(2, 12)))
    X, Y = np.hstack([x for x, _ in pairs]), np.hstack([y for _, y in pairs])
    labels = np.argmax(Y, axis=0)
    eta, lmbda, n = float(rng.uniform(0.1, 1.0)), float(rng.uniform(0.1, 5.0)), 1000
    stand_in = _Net(net.sizes, copy.deepcopy(net.weights), copy.deepcopy(net.biases), cost)
    generator = copy.deepcopy(stand_in)  # the mistakes' generator, without its slip
    assert improving_l2._total_cost(generator, (X, labels), lmbda) == pytest.approx(
        net.total_cost((X, labels), lmbda), rel=1e-12
    )
    assert improving_l2.REFERENCES["total_cost"](stand_in, (X, labels), lmbda) == pytest.approx(
        net.total_cost((X, labels), lmbda), rel=1e-12
    )
    assert improving_l2.REFERENCES["monitor_accuracy"](stand_in, (X, labels)) == net.accuracy(
        (X, labels)
    )
    improving_l2.REFERENCES["l2_update"](stand_in, X, Y, eta, lmbda, n)
    improving_l2._update(generator, X, Y, eta, lmbda, n)
    net.update_mini_batch(pairs, eta, lmbda, n)
    assert_all_close(parameters(stand_in), parameters(net))
    assert_all_close(parameters(generator), parameters(net))


@pytest.mark.parametrize("seed", SEEDS)
def test_cost_references_follow_network2(seed):
    """Are the deltas the output errors (BP1) of network.Network (quadratic) and network2
    (cross-entropy), and the cross-entropy over N examples N times network2's total_cost?"""
    rng = np.random.default_rng(seed)
    book = random_network(rng)
    cross_entropy = random_network(rng, network2.Network, cost=CrossEntropyCost)
    for net, name in [(book, "quadratic_delta"), (cross_entropy, "cross_entropy_delta")]:
        z = rng.normal(0, 3, size=(net.sizes[-1], int(rng.integers(1, 6))))
        a, y = 1 / (1 + np.exp(-z)), rng.random(z.shape)
        np.testing.assert_allclose(
            improving_costs.REFERENCES[name](z, a, y), net.output_delta(z, a, y), rtol=1e-12
        )
    pairs = random_pairs(rng, cross_entropy.sizes, int(rng.integers(1, 12)))
    X, Y = np.hstack([x for x, _ in pairs]), np.hstack([y for _, y in pairs])
    labels = np.argmax(Y, axis=0)
    cost = improving_costs.REFERENCES["cross_entropy_fn"](cross_entropy.feedforward(X), Y)
    assert cost / len(pairs) == pytest.approx(cross_entropy.total_cost((X, labels)), rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("cost", [QuadraticCost, CrossEntropyCost])
def test_train_neuron_reference_follows_network2(seed, cost):
    """Are train_neuron's reference and its mistakes' generator (without a slip) the outputs
    of network2's Network([1, 1]) trained by its SGD on the one example, epoch by epoch?"""
    rng = np.random.default_rng(seed)
    w, b, x, y = (float(v) for v in rng.normal(0, 2, size=4))
    eta, epochs = float(rng.uniform(0.05, 0.8)), int(rng.integers(3, 15))
    net = network2.Network([1, 1], cost=cost, rng=0)
    net.weights, net.biases = [np.array([[w]])], [np.array([[b]])]
    example = (np.array([[x]]), np.array([[y]]))
    outputs = [net.feedforward(example[0]).item()]
    for _ in range(epochs):
        net.SGD([example], 1, 1, eta, rng=0, progress=False)
        outputs.append(net.feedforward(example[0]).item())
    case = (cost, w, b, x, y, eta, epochs)
    np.testing.assert_allclose(
        improving_costs.REFERENCES["train_neuron"](*case), outputs, rtol=1e-12
    )
    np.testing.assert_allclose(improving_costs._train_neuron(*case), outputs, rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_epochs_to_run_reference_is_network2s_early_stopping(seed):
    """Does epochs_to_run's reference give the number of epochs network2's SGD runs with
    early_stopping_n = n, and whether it stopped early, as the mistakes' generator does?"""
    rng = np.random.default_rng(seed)
    net = random_network(rng, network2.Network)
    data = [(x, int(np.argmax(y))) for x, y in random_pairs(rng, net.sizes, 30)]
    n = int(rng.integers(1, 4))
    history = net.SGD(
        data[:20],
        25,
        4,
        float(rng.uniform(1.0, 8.0)),
        evaluation_data=data[20:],
        monitor_evaluation_accuracy=True,
        early_stopping_n=n,
        rng=seed,
        progress=False,
    )
    accuracies = history.evaluation_accuracy
    assert improving_l2.REFERENCES["epochs_to_run"](accuracies, n) == history.epochs
    assert improving_l2._fires(accuracies, n) == history.stopped_early
    curves = [[float(v) for v in np.round(rng.random(12) * 8) / 8] for _ in range(20)]
    for curve in curves + [accuracies]:
        assert improving_l2._epochs_to_run(curve, n) == improving_l2.REFERENCES["epochs_to_run"](
            curve, n
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_initializer_reference_is_network2s_default(seed):
    """Does default_weight_initializer's reference draw network2's default (init="scaled")
    parameters from the same seed, and its mistakes' generator the same numbers?"""
    sizes = [int(s) for s in np.random.default_rng(seed).integers(2, 30, size=3)]
    stand_in, generator = SimpleNamespace(sizes=sizes), SimpleNamespace(sizes=sizes)
    improving_init_save.REFERENCES["default_weight_initializer"](
        stand_in, np.random.default_rng(seed)
    )
    improving_init_save._initialise(generator, np.random.default_rng(seed))
    net = network2.Network(sizes, init="scaled", rng=seed)
    assert_all_close(parameters(stand_in), parameters(net), 0, 0)
    assert_all_close(parameters(generator), parameters(net), rtol=1e-15, atol=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("cost", [QuadraticCost, CrossEntropyCost])
def test_save_and_load_references_follow_network2(tmp_path, seed, cost):
    """Do save's and load's references keep what network2's save and load keep (sizes,
    cost, the exact weights and biases), in the notebook's format?"""
    rng = np.random.default_rng(seed)
    net = random_network(rng, network2.Network, cost=cost)
    notebook_file, network2_file = tmp_path / "notebook.json", tmp_path / "network2.json"
    improving_init_save.REFERENCES["save_json"](net, notebook_file)
    net.save(network2_file)
    saved, expected = json.loads(notebook_file.read_text()), json.loads(network2_file.read_text())
    for key in ("sizes", "weights", "biases"):
        assert saved[key] == expected[key]
    assert COST_CLASSES[saved["cost"]] is cost_by_name(expected["cost"]) is cost
    loaded = improving_init_save.REFERENCES["load_json"](notebook_file)
    book = network2.load(network2_file)
    assert isinstance(loaded, network2.Network)
    assert loaded.sizes == book.sizes and loaded.cost is book.cost
    assert_all_close(parameters(loaded), parameters(book), 0, 0)
