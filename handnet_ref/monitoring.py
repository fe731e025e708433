"""What SGD records per epoch, and when it stops early."""

from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch record of a training run; every list has one entry per epoch run
    (empty when that quantity was not monitored).

    Accuracies are fractions in [0, 1]; costs include the L2 term when lmbda > 0.
    Unpacks like the book's ``network2.SGD`` result:
    ``evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = history``.
    """

    evaluation_cost: list[float] = field(default_factory=list)
    evaluation_accuracy: list[float] = field(default_factory=list)
    training_cost: list[float] = field(default_factory=list)
    training_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped_early: bool = False

    def __iter__(self):
        return iter(
            (
                self.evaluation_cost,
                self.evaluation_accuracy,
                self.training_cost,
                self.training_accuracy,
            )
        )

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.seconds)

    @property
    def best_epoch(self) -> int | None:
        """Index of the epoch with the highest evaluation accuracy (first on ties), or None."""
        acc = self.evaluation_accuracy
        return max(range(len(acc)), key=acc.__getitem__) if acc else None

    @property
    def best_accuracy(self) -> float | None:
        """Highest evaluation accuracy, or None when it was not monitored."""
        return max(self.evaluation_accuracy) if self.evaluation_accuracy else None


class EarlyStopping:
    """Stop when the evaluation accuracy has not improved for ``patience`` epochs.

    ``patience = 0`` never stops. ``update(accuracy)`` is called once per epoch and
    returns True when training should stop after that epoch.
    """

    def __init__(self, patience):
        if patience < 0:
            raise ValueError(f"early-stopping patience must be >= 0, got {patience}")
        self.patience = patience
        self.best = None
        self.epochs_without_improvement = 0

    def update(self, accuracy: float) -> bool:
        if self.best is None or accuracy > self.best:
            self.best = accuracy
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1
        return self.patience > 0 and self.epochs_without_improvement >= self.patience
