"""Plots the course notebooks share: digits with labels and guesses, learning curves,
weight images, confusion matrices. Each function draws one figure and returns it, and
calls ``plt.show()`` only when asked, so notebooks end their cells with ``plt.show()``.

Images are given as they come from ``handnet.mnist``: one image per column of a
(784, n) array, or a list of (784, 1) columns.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

SIDE = 28


def _images(images):
    """A (n, 28, 28) array from a (784, n) array, a list of (784, 1) columns, or (n, 784)."""
    if isinstance(images, (list, tuple)):
        return np.stack([np.asarray(x).reshape(SIDE, SIDE) for x in images])
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[0] == SIDE * SIDE:
        return images.T.reshape(-1, SIDE, SIDE)
    return images.reshape(-1, SIDE, SIDE)


def show_digits(images, labels=None, guesses=None, ncols=10, title=None, size=1.2):
    """A grid of digits. Under each: its label, and the network's guess when given
    (green when right, red when wrong)."""
    images = _images(images)
    n = len(images)
    nrows = max(1, -(-n // ncols))
    title_lines = (labels is not None) + (guesses is not None)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        squeeze=False,
        figsize=(size * ncols, size * (1.05 + 0.22 * title_lines) * nrows),
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
        parts = []
        if labels is not None:
            parts.append(f"label {int(labels[i])}")
        if guesses is not None:
            parts.append(f"guess {int(guesses[i])}")
        if parts:
            right = guesses is None or labels is None or int(guesses[i]) == int(labels[i])
            ax.set_title(
                "\n".join(parts),
                fontsize=8,
                color="black" if guesses is None else ("green" if right else "red"),
            )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(curves, xlabel="epoch", ylabel="accuracy", title=None, percent=None, first=1):
    """Line plot of named sequences, e.g. {"eta = 3.0": [0.91, 0.93, ...]}, the i-th value
    at x = first + i (epoch 1 is the state after one pass over the data); accuracies
    (all values within [0, 1]) are shown as percentages unless ``percent`` says otherwise."""
    fig, ax = plt.subplots(figsize=(7, 4))
    values = [v for seq in curves.values() for v in seq]
    if percent is None:
        percent = ylabel == "accuracy" and all(0 <= v <= 1 for v in values)
    for name, seq in curves.items():
        seq = np.asarray(seq, dtype=float) * (100 if percent else 1)
        ax.plot(
            range(first, first + len(seq)),
            seq,
            marker="o" if len(seq) < 40 else None,
            ms=3,
            label=name,
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + (" (%)" if percent else ""))
    if title:
        ax.set_title(title)
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def show_weights(W, ncols=10, title=None, size=1.2):
    """Each row of W (n_hidden, 784) as a 28 x 28 image: what each hidden neuron looks
    for. Blue is a positive weight, red a negative one; each image has its own scale."""
    W = np.asarray(W)
    n = len(W)
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            scale = np.abs(W[i]).max() or 1.0
            ax.imshow(W[i].reshape(SIDE, SIDE), cmap="RdBu", vmin=-scale, vmax=scale)
            ax.set_title(str(i), fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(C, title="Confusion matrix"):
    """C[i, j] = how many digits with label i were guessed as j, with the counts written
    in the cells; the diagonal holds the right answers."""
    C = np.asarray(C)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    off_diagonal = C - np.diag(np.diag(C))
    ax.imshow(off_diagonal, cmap="Reds")
    for i in range(C.shape[0]):
        for j in range(C.shape[1]):
            ax.text(
                j,
                i,
                int(C[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="black" if i != j else "green",
            )
    ax.set_xticks(range(C.shape[1]))
    ax.set_yticks(range(C.shape[0]))
    ax.set_xlabel("guess")
    ax.set_ylabel("label")
    ax.set_title(title + " (mistakes shaded)")
    fig.tight_layout()
    return fig
