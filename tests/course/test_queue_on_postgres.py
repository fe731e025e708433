"""The grading service's queue on a real PostgreSQL server (a throw-away one, the
``postgres`` fixture): receipts survive the service, and claimers at once never take the
same receipt (PostgreSQL's own locking, not SQLite's one writer, decides there)."""

from queue_claims import claim_all

from handnet_grader.service.queue import WAITING, SubmissionQueue


def test_receipts_survive_and_claimers_at_once_take_each_once(postgres):
    url = postgres.create_database("service_queue")
    first = SubmissionQueue(url)
    ann = first.receive("ann", "01_neuron", "a" * 64)
    first.close()
    again = SubmissionQueue(url)
    assert [(r.id, r.state) for r in again.receipts()] == [(ann.id, WAITING)]
    assert again.claim().id == ann.id
    again.close()
    ids, taken, errors = claim_all(url, 4)
    assert errors == [] and sorted(taken) == sorted(ids)
