"""The shared plots draw what they say (checked on the figure objects, not pixels)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from handnet.plots import plot_confusion_matrix, plot_curves, show_digits, show_weights  # noqa: E402


def test_show_digits_draws_each_image_with_its_label_and_colour_coded_guess():
    """One image per digit; titles give label and guess, red where the guess is wrong."""
    X = np.random.default_rng(0).random((784, 3))
    fig = show_digits(X, labels=[1, 2, 3], guesses=[1, 5, 3], ncols=3)
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == 3
    assert axes[1].get_title() == "label 2\nguess 5"
    assert axes[1].title.get_color() == "red" and axes[0].title.get_color() == "green"


def test_show_digits_accepts_lists_of_columns_and_leaves_spare_axes_empty():
    """A list of (784, 1) columns works, and a grid larger than the list stays blank."""
    fig = show_digits([np.zeros((784, 1))] * 2, ncols=5)
    assert sum(1 for ax in fig.axes if ax.images) == 2


def test_plot_curves_counts_epochs_from_one_and_shows_accuracy_in_percent():
    """x runs 1..n; accuracies in [0, 1] are plotted as percentages."""
    fig = plot_curves({"a": [0.5, 0.75]})
    (line,) = fig.axes[0].lines
    assert list(line.get_xdata()) == [1, 2]
    assert list(line.get_ydata()) == [50.0, 75.0]
    assert fig.axes[0].get_ylabel() == "accuracy (%)"


def test_show_weights_and_confusion_matrix_draw_one_panel_per_neuron_and_every_count():
    """show_weights: one image per row of W; confusion matrix: one number per cell."""
    fig = show_weights(np.random.default_rng(1).standard_normal((4, 784)), ncols=2)
    assert sum(1 for ax in fig.axes if ax.images) == 4
    C = np.arange(9).reshape(3, 3)
    fig = plot_confusion_matrix(C)
    assert sorted(int(t.get_text()) for t in fig.axes[0].texts) == list(range(9))
