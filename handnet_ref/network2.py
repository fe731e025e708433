"""The improved network of the book's chapter 3.

Adds to ``network.Network``: a choice of cost (quadratic or cross-entropy), L2
regularisation (weight decay), the N(0, 1/n_in) weight initialiser beside the N(0, 1) one,
per-epoch monitoring of cost and accuracy on training and evaluation data, early
stopping, and saving to / loading from JSON.
"""

import json
import time
from pathlib import Path

import numpy as np

from . import network
from .costs import CrossEntropyCost, cost_by_name
from .initializers import INITIALIZERS, RngLike, as_rng
from .monitoring import EarlyStopping, History
from .progress import progress_bar
from .training import Data, accuracy_and_cost, as_rows, l2_term


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

    def initial_parameters(
        self, rng: RngLike, dtype: np.dtype
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return INITIALIZERS[self.init](self.sizes, rng, dtype)

    def output_delta(self, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.cost.delta(z, a, y)

    def SGD(
        self,
        training_data: Data,
        epochs: int,
        mini_batch_size: int,
        eta: float,
        lmbda: float = 0.0,
        evaluation_data: Data | None = None,
        monitor_evaluation_cost: bool = False,
        monitor_evaluation_accuracy: bool = False,
        monitor_training_cost: bool = False,
        monitor_training_accuracy: bool = False,
        early_stopping_n: int = 0,
        *,
        rng: RngLike = None,
        progress: bool | None = None,
    ) -> History:
        """Train with mini-batch SGD and L2 strength ``lmbda``; return a ``History``.

        The book's per-example algorithm, as ``network.Network.SGD`` (data formats as
        there), with the weight decay of ``update_mini_batch``. Each ``monitor_*`` flag
        records that quantity after every epoch. With ``early_stopping_n`` > 0, training
        stops once the evaluation accuracy has not improved for that many epochs. Code
        that needs speed calls ``handnet_ref.training.run_sgd(net, ...)``: the same
        arguments and batches, a whole mini-batch at a time.
        """
        if epochs < 0 or mini_batch_size < 1:
            raise ValueError("epochs must be >= 0 and mini_batch_size >= 1")
        rng = as_rng(rng)
        n_in, n_out, dtype = self.sizes[0], self.sizes[-1], self.weights[0].dtype
        X, Y, labels = as_rows(training_data, n_in, n_out, dtype)
        training_data = [(x[:, None], y[:, None]) for x, y in zip(X, Y)]
        as_arrays = (X.T, labels)  # for total_cost and accuracy
        n = len(training_data)
        if evaluation_data is not None:
            X_eval, _, labels_eval = as_rows(evaluation_data, n_in, n_out, dtype)
            evaluation_data = (X_eval.T, labels_eval)
            n_eval = len(labels_eval)
        elif monitor_evaluation_cost or monitor_evaluation_accuracy or early_stopping_n:
            raise ValueError("monitoring evaluation data or early stopping needs evaluation_data")
        stopper = EarlyStopping(early_stopping_n)
        history = History()
        bar = progress_bar(epochs, "network2.Network.SGD", progress)
        try:
            for _ in range(epochs):
                start = time.perf_counter()
                for mini_batch in network.mini_batches(training_data, mini_batch_size, rng):
                    self.update_mini_batch(mini_batch, eta, lmbda, n)
                history.seconds.append(time.perf_counter() - start)
                if monitor_training_cost:
                    history.training_cost.append(self.total_cost(as_arrays, lmbda))
                if monitor_training_accuracy:
                    history.training_accuracy.append(self.accuracy(as_arrays) / n)
                if evaluation_data is not None:
                    accuracy = self.accuracy(evaluation_data) / n_eval
                    if monitor_evaluation_cost:
                        history.evaluation_cost.append(self.total_cost(evaluation_data, lmbda))
                    if monitor_evaluation_accuracy:
                        history.evaluation_accuracy.append(accuracy)
                    bar.set_postfix_str(f"accuracy {accuracy:.2%}")
                bar.update()
                if evaluation_data is not None and stopper.update(accuracy):
                    history.stopped_early = True
                    break
        finally:
            bar.close()
        return history

    def accuracy(self, data: Data) -> int:
        """Number of examples classified correctly (either data format)."""
        return self.evaluate(data)

    def total_cost(self, data: Data, lmbda: float = 0.0) -> float:
        """Mean cost over ``data`` plus the L2 term lmbda / (2 len(data)) sum ||w||^2."""
        X, Y, labels = as_rows(data, self.sizes[0], self.sizes[-1], self.weights[0].dtype)
        _, c = accuracy_and_cost(self.weights, self.biases, X, Y, labels, self.cost)
        return c / len(X) + l2_term(self.weights, lmbda, len(X))

    def save(self, filename: str | Path) -> None:
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


def load(filename: str | Path) -> Network:
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
