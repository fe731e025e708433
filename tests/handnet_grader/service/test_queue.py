"""The grading service's queue, on a real SQLite file: receipts survive the service, a
newer submission replaces one still waiting, live ones go first, no receipt is claimed
twice, a dead service's claims are put back, and the hourly limit counts what it should."""

import datetime

import pytest
from queue_claims import claim_all

from handnet_grader.service.queue import (
    FAILED,
    GRADED,
    GRADING,
    LIVE,
    REGRADE,
    REPLACED,
    WAITING,
    SubmissionQueue,
    TooManySubmissions,
)

T0 = datetime.datetime(2026, 12, 7, 17, 0)


def at(minutes):
    return T0 + datetime.timedelta(minutes=minutes)


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'gradebook.db'}"


def test_receipts_wait_through_a_restart_and_come_out_oldest_first(url):
    """Do receipts written by one service come out of the next, in order received?"""
    first = SubmissionQueue(url)
    ann = first.receive("ann", "01_neuron", "a" * 64, received=at(2))
    bob = first.receive("bob", "01_neuron", "b" * 64, received=at(1))
    first.close()
    again = SubmissionQueue(url)
    assert [r.state for r in again.receipts()] == [WAITING, WAITING]
    assert again.position(bob.id) == 0 and again.position(ann.id) == 1
    taken = [again.claim(), again.claim(), again.claim()]
    assert [r.student for r in taken[:2]] == ["bob", "ann"] and taken[2] is None
    assert taken[0].state == GRADING and again.position(bob.id) is None


def test_a_newer_submission_replaces_one_still_waiting_not_one_being_graded(url):
    queue = SubmissionQueue(url)
    old = queue.receive("ann", "01_neuron", "1" * 64, received=at(0))
    other = queue.receive("ann", "02_feedforward", "2" * 64, received=at(1))
    new = queue.receive("ann", "01_neuron", "3" * 64, received=at(2))
    states = {r.id: r.state for r in queue.receipts("ann")}
    assert states == {old.id: REPLACED, other.id: WAITING, new.id: WAITING}
    claimed = queue.claim()
    assert claimed.id == other.id
    newest = queue.receive("ann", "02_feedforward", "4" * 64, received=at(3))
    states = {r.id: r.state for r in queue.receipts("ann")}
    assert states[other.id] == GRADING and states[newest.id] == WAITING


def test_live_submissions_go_before_regrades(url):
    queue = SubmissionQueue(url)
    regrade = queue.receive("ann", "01_neuron", "1" * 64, kind=REGRADE, received=at(0))
    live = queue.receive("bob", "01_neuron", "2" * 64, kind=LIVE, received=at(5))
    assert queue.position(live.id) == 0 and queue.position(regrade.id) == 1
    assert [queue.claim().id, queue.claim().id] == [live.id, regrade.id]


def test_claimers_at_once_never_take_the_same_receipt(url):
    """Four claimers on one SQLite file at once: is every receipt taken exactly once, and
    none fails on a locked database?"""
    ids, taken, errors = claim_all(url, 4)
    assert errors == [] and sorted(taken) == sorted(ids)


def ann_claimed_bob_graded(url):
    """A queue with two receipts claimed, Bob's then graded: (queue, Ann's, Bob's)."""
    queue = SubmissionQueue(url)
    ann = queue.receive("ann", "01_neuron", "1" * 64, received=at(0))
    bob = queue.receive("bob", "01_neuron", "2" * 64, received=at(1))
    queue.claim()
    queue.claim()
    queue.finish(bob.id, GRADED)
    return queue, ann, bob


def test_recover_puts_back_what_a_dead_service_was_grading(url):
    queue, ann, bob = ann_claimed_bob_graded(url)
    assert SubmissionQueue(url).recover() == 1  # the next service starts
    states = {r.id: r.state for r in queue.receipts()}
    assert states == {ann.id: WAITING, bob.id: GRADED}
    with pytest.raises(ValueError):
        queue.finish(ann.id, WAITING)


def test_the_hourly_limit_counts_live_submissions_but_not_grader_failures(url):
    """With 3 an hour: is the 4th refused (writing nothing; one replaced while waiting
    counts too), is a submission that ended as a grader failure not counted, and is an
    hour later fine again? Regrades and other students never count."""
    queue = SubmissionQueue(url, per_hour=3)
    failed = queue.receive("ann", "01_neuron", "1" * 64, received=at(0))
    queue.claim()
    queue.finish(failed.id, FAILED)
    for n in range(1, 4):
        queue.receive("ann", "02_feedforward", f"{n:064d}", received=at(n))
    before = queue.receipts("ann")
    with pytest.raises(TooManySubmissions, match="limit is 3"):
        queue.receive("ann", "01_neuron", "9" * 64, received=at(10))
    assert queue.receipts("ann") == before
    queue.receive("ann", "01_neuron", "8" * 64, kind=REGRADE, received=at(11))
    queue.receive("bob", "01_neuron", "7" * 64, received=at(12))
    assert queue.receive("ann", "01_neuron", "9" * 64, received=at(62)).state == WAITING


def test_without_a_limit_nothing_is_refused(url):
    queue = SubmissionQueue(url)
    for n in range(50):
        queue.receive("ann", "01_neuron", f"{n:064d}", received=at(0))
    states = [r.state for r in queue.receipts("ann")]
    assert states.count(WAITING) == 1 and states.count(REPLACED) == 49


def test_put_back_makes_claimed_receipts_wait_again_and_nothing_else(url):
    queue, ann, bob = ann_claimed_bob_graded(url)
    queue.put_back([ann.id, bob.id])
    assert {r.id: r.state for r in queue.receipts()} == {ann.id: WAITING, bob.id: GRADED}
