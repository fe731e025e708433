"""Train the reference networks on MNIST and report their accuracy per epoch.

Loads MNIST the way the course does (the bundled subset unless the full set is found or
named with --mnist / HANDNET_MNIST), trains the book's chapter-1 network
[784, 30, 10] (quadratic cost, eta 3.0, mini-batch 10) and the chapter-3 network
(cross-entropy, L2, N(0, 1/n_in) weights), and prints test accuracy per epoch.
Seeds are fixed: the same data gives the same table on every run.
"""

import argparse
import os
import sys

import numpy as np

from handnet.mnist import MnistError, load_data_arrays
from handnet_ref import network2
from handnet_ref.costs import CrossEntropyCost
from handnet_ref.network import Network
from handnet_ref.training import run_sgd, train_matrix


def print_table(title, history, n_test):
    print(f"\n{title}")
    print(f"{'epoch':>5}  {'test accuracy':>13}")
    for epoch, acc in enumerate(history.evaluation_accuracy):
        mark = "  <- best" if epoch == history.best_epoch else ""
        print(f"{epoch:>5}  {acc:>12.2%} ({round(acc * n_test)} / {n_test}){mark}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mnist",
        default=None,
        help="MNIST file or folder (default: search, then the bundled subset)",
    )
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    try:
        mnist = load_data_arrays(args.mnist)
    except MnistError as e:
        sys.exit(f"demo: {e}")
    training, test = mnist.training, mnist.test
    n_train, n_test = training[0].shape[1], test[0].shape[1]

    net = Network([784, 30, 10], rng=args.seed, dtype=np.float32)
    h1 = train_matrix(
        net, training, args.epochs, 10, 3.0, test_data=test, rng=args.seed, progress=False
    )
    print_table(
        f"Chapter 1: [784, 30, 10], quadratic cost, eta 3.0, mini-batch 10, "
        f"{n_train} training images",
        h1,
        n_test,
    )

    lmbda = 5.0 * n_train / 50_000  # the book's lmbda = 5.0 at 50,000 images: same decay per epoch
    net2 = network2.Network(
        [784, 30, 10], cost=CrossEntropyCost, init="scaled", rng=args.seed, dtype=np.float32
    )
    h3 = run_sgd(
        net2,
        training,
        args.epochs,
        10,
        0.5,
        lmbda=lmbda,
        evaluation_data=test,
        monitor_evaluation_accuracy=True,
        rng=args.seed,
        progress=False,
    )
    print_table(
        f"Chapter 3: cross-entropy, L2 lmbda {lmbda:g}, N(0, 1/n_in) weights, eta 0.5", h3, n_test
    )

    print(
        f"\nBest test accuracy: chapter 1 {h1.best_accuracy:.2%}, "
        f"chapter 3 {h3.best_accuracy:.2%} "
        f"({sum(h1.seconds) + sum(h3.seconds):.1f} s of training on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
