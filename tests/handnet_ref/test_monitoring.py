import pytest

from handnet_ref.monitoring import EarlyStopping, History


def epochs_run(accuracies, patience):
    """How many epochs a run with these per-epoch accuracies lasts."""
    stopper = EarlyStopping(patience)
    for epoch, acc in enumerate(accuracies, start=1):
        if stopper.update(acc):
            return epoch
    return len(accuracies)


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    """Best at epoch 3, patience 2: does the run end after epoch 5?"""
    assert epochs_run([0.90, 0.92, 0.95, 0.94, 0.95, 0.99], patience=2) == 5


def test_early_stopping_counts_from_the_latest_improvement():
    """Does a new best reset the count, so an improving run is never stopped?"""
    assert epochs_run([0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4], patience=2) == 7


def test_patience_zero_never_stops():
    """Is early_stopping_n = 0 'off', as in the book?"""
    assert epochs_run([0.5] * 10, patience=0) == 10


def test_negative_patience_is_refused():
    """Does a negative patience raise instead of being read as 'off'?"""
    with pytest.raises(ValueError):
        EarlyStopping(-1)


def test_history_unpacks_like_the_books_four_lists_and_finds_the_best_epoch():
    """Does History unpack to (ec, ea, tc, ta) and report best epoch and accuracy?"""
    h = History(evaluation_accuracy=[0.5, 0.8, 0.8, 0.7], seconds=[1, 1, 1, 1])
    ec, ea, tc, ta = h
    assert ea == [0.5, 0.8, 0.8, 0.7] and ec == tc == ta == []
    assert h.best_epoch == 1 and h.best_accuracy == 0.8 and h.epochs == 4
    assert History().best_epoch is None
