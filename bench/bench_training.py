"""Seconds per full-MNIST epoch: the book's per-example loop against the matrix path.

One run measures, on the same data and machine state:
  - the per-example loop (``Network.SGD``: backprop once per example, the book's
    algorithm), float64, over one epoch, twice: with the book's plain sigmoid
    1 / (1 + exp(-z)) (the baseline) and with the reference's warning-free sigmoid;
  - the matrix mini-batch path (``training.train_matrix``) in float64 and float32, median of several epochs;
  - the book's whole run, [784, 30, 10], 30 epochs, mini-batch 10, eta 3.0, in float32,
    with its best test accuracy.
Ratios are against the book's loop measured in this run (the machine is shared and noisy).
Usage: python bench/bench_training.py --mnist ../shared/data/mnist [--epochs 3] [--json out.json]
"""

import argparse
import json
import os
import statistics
import sys
import time
from unittest import mock

import numpy as np

from handnet.mnist import load_data_arrays
from handnet_ref import network
from handnet_ref.network import Network
from handnet_ref.training import train_matrix


def plain_sigmoid(z):
    """The book's sigmoid, without the guard against overflow warnings."""
    return 1.0 / (1.0 + np.exp(-z))


def plain_sigmoid_prime(z):
    s = plain_sigmoid(z)
    return s * (1 - s)


def epoch_seconds(data, test, dtype, engine, epochs, seed=0):
    """(per-epoch seconds, test accuracy after the last epoch) for one training run;
    engine "loop" is the book's ``Network.SGD``, "matrix" is ``train_matrix``."""
    net = Network([784, 30, 10], rng=seed, dtype=dtype)
    train = {"loop": Network.SGD, "matrix": train_matrix}[engine]
    history = train(net, data, epochs, 10, 3.0, test_data=test, rng=seed, progress=False)
    return history.seconds, history.evaluation_accuracy[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mnist",
        default=os.environ.get("HANDNET_MNIST"),
        help="folder of the full MNIST (default: HANDNET_MNIST, else the loader's search)",
    )
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed per matrix run")
    parser.add_argument("--full-run-epochs", type=int, default=30)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    mnist = load_data_arrays(args.mnist)
    if not mnist.source.full:
        print(
            "warning: not the full MNIST; figures are not comparable with docs/reference-package.md's",
            file=sys.stderr,
        )
    training, test = mnist.training, mnist.test
    print(
        f"data: {mnist.source.description}; {training[0].shape[1]} training images, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}"
    )

    results = {}
    with (
        mock.patch.object(network, "sigmoid", plain_sigmoid),
        mock.patch.object(network, "sigmoid_prime", plain_sigmoid_prime),
    ):
        loop_s, loop_acc = epoch_seconds(training, test, np.float64, "loop", 1)
    results["book_loop_float64"] = {"s_per_epoch": loop_s[0], "accuracy_after_1_epoch": loop_acc}
    loop_s, loop_acc = epoch_seconds(training, test, np.float64, "loop", 1)
    results["loop_float64"] = {"s_per_epoch": loop_s[0], "accuracy_after_1_epoch": loop_acc}
    for dtype in (np.float64, np.float32):
        seconds, _ = epoch_seconds(training, test, dtype, "matrix", args.epochs)
        _, acc1 = epoch_seconds(training, test, dtype, "matrix", 1)
        results[f"matrix_{np.dtype(dtype).name}"] = {
            "s_per_epoch": statistics.median(seconds),
            "accuracy_after_1_epoch": acc1,
        }

    start = time.perf_counter()
    net = Network([784, 30, 10], rng=0, dtype=np.float32)
    history = train_matrix(
        net, training, args.full_run_epochs, 10, 3.0, test_data=test, rng=0, progress=False
    )
    results["book_run_float32"] = {
        "epochs": args.full_run_epochs,
        "seconds_total": time.perf_counter() - start,
        "seconds_training": sum(history.seconds),
        "best_accuracy": history.best_accuracy,
        "best_epoch": history.best_epoch,
    }

    base = results["book_loop_float64"]["s_per_epoch"]
    print(f"\n{'implementation':<26}{'s/epoch':>9}{'vs book':>9}{'acc, 1 epoch':>14}")
    for name in ("book_loop_float64", "loop_float64", "matrix_float64", "matrix_float32"):
        r = results[name]
        r["speedup_vs_loop"] = base / r["s_per_epoch"]
        print(
            f"{name:<26}{r['s_per_epoch']:>9.3f}{r['speedup_vs_loop']:>8.1f}x"
            f"{r['accuracy_after_1_epoch']:>14.2%}"
        )
    r = results["book_run_float32"]
    print(
        f"\nbook run, float32, {r['epochs']} epochs: {r['seconds_total']:.1f} s in all "
        f"({r['seconds_training']:.1f} s training), best test accuracy "
        f"{r['best_accuracy']:.2%} at epoch {r['best_epoch']}"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
