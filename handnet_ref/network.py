"""The network of the book's chapter 1: sigmoid neurons, quadratic cost, mini-batch SGD.

The reference that HandNet grades against. Conventions (the book's):

- ``sizes`` lists the neurons per layer, e.g. ``[784, 30, 10]``; layer 0 is the input.
- ``weights[l]`` has shape (sizes[l+1], sizes[l]): row j holds the weights into neuron j
  of the next layer. ``biases[l]`` has shape (sizes[l+1], 1).
- An input is a column (sizes[0], 1); a batch is a matrix (sizes[0], m), one example per
  column. ``feedforward`` accepts both.

``SGD``, ``update_mini_batch`` and ``backprop`` are the book's per-example algorithm,
written to be read top to bottom and compared with a student's. They are slow (one
backprop per example: about 4 s per full-MNIST epoch, 12 to 17 times the matrix path's
time): code that needs speed trains the same network with
``handnet_ref.training.train_matrix(net, ...)``, which takes the same arguments and steps
a whole mini-batch at a time (``matrix.BatchTrainer``).
"""

import time

import numpy as np

from .activations import sigmoid, sigmoid_prime
from .costs import QuadraticCost
from .initializers import RngLike, as_rng, large_weights
from .monitoring import History
from .progress import progress_bar
from .training import Data, as_rows


class Network:
    """A fully connected sigmoid network.

    ``rng`` (a seed or ``numpy.random.Generator``) draws the initial weights and biases
    from N(0, 1); ``dtype`` is float64 or float32 and is kept through training.
    """

    cost = QuadraticCost

    def __init__(self, sizes, rng=None, dtype=np.float64):
        if len(sizes) < 2 or any(int(n) != n or n < 1 for n in sizes):
            raise ValueError(f"sizes must list at least two positive layer sizes, got {sizes}")
        self.sizes = [int(n) for n in sizes]
        self.num_layers = len(self.sizes)
        self.weights, self.biases = self.initial_parameters(rng, np.dtype(dtype))

    def initial_parameters(
        self, rng: RngLike, dtype: np.dtype
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(weights, biases) for a new network: N(0, 1) entries."""
        return large_weights(self.sizes, rng, dtype)

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        """Output for input ``a``: (sizes[0], 1) -> (sizes[-1], 1), or (sizes[0], m) -> (sizes[-1], m)."""
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(w @ a + b)
        return a

    def output_delta(self, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Error of the output layer, dC/dz^L, for one example (equation BP1)."""
        return self.cost_derivative(a, y) * sigmoid_prime(z)

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(nabla_b, nabla_w): the gradient of the cost for one example.

        x: (sizes[0], 1); y: (sizes[-1], 1). The lists are shaped like ``biases`` and
        ``weights``.
        """
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]  # a^l, layer by layer
        zs = []  # z^l, layer by layer
        for b, w in zip(self.biases, self.weights):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.output_delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = delta @ activations[-2].T
        # l counts from the end, as in the book: l = 1 is the output layer, l = 2 the
        # layer before it, so weights[-l + 1] feeds layer -l + 1 from layer -l.
        for l in range(2, self.num_layers):
            delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = delta @ activations[-l - 1].T
        return nabla_b, nabla_w

    def update_mini_batch(
        self,
        mini_batch: list[tuple[np.ndarray, np.ndarray]],
        eta: float,
        lmbda: float = 0.0,
        n: int | None = None,
    ) -> None:
        """One gradient step from a list of (x, y) pairs, by backprop on each example.

        w -> (1 - eta lmbda / n) w - (eta / m) sum nabla_w, b -> b - (eta / m) sum nabla_b,
        with m = len(mini_batch); the weight decay applies only when lmbda > 0 (then ``n``,
        the size of the whole training set, is needed).
        """
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        m = len(mini_batch)
        decay = 1.0 - eta * lmbda / n if lmbda else 1.0
        dtype = self.weights[0].dtype
        self.weights = [
            (decay * w - (eta / m) * nw).astype(dtype, copy=False)
            for w, nw in zip(self.weights, nabla_w)
        ]
        self.biases = [
            (b - (eta / m) * nb).astype(dtype, copy=False) for b, nb in zip(self.biases, nabla_b)
        ]

    def SGD(
        self,
        training_data: Data,
        epochs: int,
        mini_batch_size: int,
        eta: float,
        test_data: Data | None = None,
        *,
        rng: RngLike = None,
        progress: bool | None = None,
    ) -> History:
        """Train with mini-batch stochastic gradient descent; return a ``History``.

        training_data: a list of (x, y) pairs, x (sizes[0], 1), y one-hot (sizes[-1], 1)
        or an int label, or arrays (X (sizes[0], N), labels (N,)). Each epoch shuffles the
        examples with ``rng`` (seed or Generator), cuts them into mini-batches of
        ``mini_batch_size`` (the last may be smaller) and calls ``update_mini_batch`` on
        each. test_data, if given, is evaluated after each epoch
        (``history.evaluation_accuracy``); ``progress`` shows or hides the progress bar.
        """
        if epochs < 0 or mini_batch_size < 1:
            raise ValueError("epochs must be >= 0 and mini_batch_size >= 1")
        rng = as_rng(rng)
        dtype = self.weights[0].dtype
        X, Y, _ = as_rows(training_data, self.sizes[0], self.sizes[-1], dtype)
        training_data = [(x[:, None], y[:, None]) for x, y in zip(X, Y)]
        if test_data is not None:
            X_test, _, labels_test = as_rows(test_data, self.sizes[0], self.sizes[-1], dtype)
            test_data = (X_test.T, labels_test)
            n_test = len(labels_test)
        history = History()
        bar = progress_bar(epochs, "Network.SGD", progress)
        try:
            for _ in range(epochs):
                start = time.perf_counter()
                for mini_batch in mini_batches(training_data, mini_batch_size, rng):
                    self.update_mini_batch(mini_batch, eta)
                history.seconds.append(time.perf_counter() - start)
                if test_data is not None:
                    accuracy = self.evaluate(test_data) / n_test
                    history.evaluation_accuracy.append(accuracy)
                    bar.set_postfix_str(f"accuracy {accuracy:.2%}")
                bar.update()
        finally:
            bar.close()
        return history

    def evaluate(self, test_data: Data) -> int:
        """Number of examples whose most active output neuron is the right digit.

        test_data: a list of (x, label) pairs, or arrays (X (sizes[0], N), labels (N,)).
        """
        X, _, labels = as_rows(test_data, self.sizes[0], self.sizes[-1], self.weights[0].dtype)
        outputs = self.feedforward(X.T)
        return int(np.sum(np.argmax(outputs, axis=0) == labels))

    def cost_derivative(self, output_activations: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dC_x/da for the quadratic cost: a - y."""
        return output_activations - y


def mini_batches(
    training_data: list[tuple[np.ndarray, np.ndarray]],
    mini_batch_size: int,
    rng: np.random.Generator,
) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """One epoch's mini-batches: the list ``training_data`` shuffled with ``rng`` (a
    Generator) and cut into lists of ``mini_batch_size`` examples (the last may be
    smaller)."""
    n = len(training_data)
    shuffled = [training_data[i] for i in rng.permutation(n)]
    return [shuffled[k : k + mini_batch_size] for k in range(0, n, mini_batch_size)]
