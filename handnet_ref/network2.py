"""The improved network of the book's chapter 3.

Adds to ``network.Network``: a choice of cost (quadratic or cross-entropy), L2
regularisation (weight decay), the N(0, 1/n_in) weight initialiser beside the N(0, 1) one,
per-epoch monitoring of cost and accuracy on training and evaluation data, early
stopping, and saving to / loading from JSON.
"""

import json
from pathlib import Path

import numpy as np

from . import network
from .costs import CrossEntropyCost, cost_by_name
from .initializers import INITIALIZERS
from .training import accuracy_and_cost, as_rows, l2_term, run_sgd


class Network(network.Network):
    """A sigmoid network with a cost, an initialiser and L2 regularisation.

    ``cost``: ``CrossEntropyCost`` (default) or ``QuadraticCost``.
    ``init``: ``"scaled"`` (default, weights from N(0, 1/n_in)) or ``"large"`` (N(0, 1)).
    """

    def __init__(self, sizes, cost=CrossEntropyCost, init="scaled", rng=None, dtype=np.float64):
        if init not in INITIALIZERS:
            raise ValueError(f"init must be one of {sorted(INITIALIZERS)}, got {init!r}")
        self.cost = cost
        self.init = init
        super().__init__(sizes, rng=rng, dtype=dtype)

    def initial_parameters(self, rng, dtype):
        return INITIALIZERS[self.init](self.sizes, rng, dtype)

    def output_delta(self, z, a, y):
        return self.cost.delta(z, a, y)

    def SGD(
        self,
        training_data,
        epochs,
        mini_batch_size,
        eta,
        lmbda=0.0,
        evaluation_data=None,
        monitor_evaluation_cost=False,
        monitor_evaluation_accuracy=False,
        monitor_training_cost=False,
        monitor_training_accuracy=False,
        early_stopping_n=0,
        *,
        rng=None,
        engine="matrix",
        progress=None,
    ):
        """Train with mini-batch SGD and L2 strength ``lmbda``; return a ``History``.

        Each ``monitor_*`` flag records that quantity after every epoch. With
        ``early_stopping_n`` > 0, training stops once the evaluation accuracy has not
        improved for that many epochs. Data formats as in ``network.Network.SGD``.
        """
        return run_sgd(
            self,
            training_data,
            epochs,
            mini_batch_size,
            eta,
            lmbda=lmbda,
            cost=self.cost,
            evaluation_data=evaluation_data,
            monitor_evaluation_cost=monitor_evaluation_cost,
            monitor_evaluation_accuracy=monitor_evaluation_accuracy,
            monitor_training_cost=monitor_training_cost,
            monitor_training_accuracy=monitor_training_accuracy,
            early_stopping_n=early_stopping_n,
            rng=rng,
            engine=engine,
            progress=progress,
        )

    def accuracy(self, data):
        """Number of examples classified correctly (either data format)."""
        return self.evaluate(data)

    def total_cost(self, data, lmbda=0.0):
        """Mean cost over ``data`` plus the L2 term lmbda / (2 len(data)) sum ||w||^2."""
        X, Y, labels = as_rows(data, self.sizes[0], self.sizes[-1], self.weights[0].dtype)
        _, c = accuracy_and_cost(self.weights, self.biases, X, Y, labels, self.cost)
        return c / len(X) + l2_term(self.weights, lmbda, len(X))

    def save(self, filename):
        """Write sizes, weights, biases, cost, init and dtype to a JSON file."""
        data = {
            "sizes": self.sizes,
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "cost": self.cost.name,
            "init": self.init,
            "dtype": self.weights[0].dtype.name,
        }
        Path(filename).write_text(json.dumps(data))


def load(filename):
    """A ``Network`` from a file written by ``Network.save``; errors name what is wrong."""
    try:
        data = json.loads(Path(filename).read_text())
        sizes, dtype = data["sizes"], np.dtype(data.get("dtype", "float64"))
        net = Network(
            sizes,
            cost=cost_by_name(data["cost"]),
            init=data.get("init", "scaled"),
            rng=0,
            dtype=dtype,
        )
        weights = [np.array(w, dtype=dtype) for w in data["weights"]]
        biases = [np.array(b, dtype=dtype) for b in data["biases"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{filename}: not a saved HandNet network ({e})") from e
    expected_w = [w.shape for w in net.weights]
    expected_b = [b.shape for b in net.biases]
    if [w.shape for w in weights] != expected_w or [b.shape for b in biases] != expected_b:
        raise ValueError(f"{filename}: weight or bias shapes do not match sizes {sizes}")
    net.weights, net.biases = weights, biases
    return net
