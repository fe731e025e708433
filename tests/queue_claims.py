"""Claimers at once on one queue database, for the queue's tests on SQLite and
PostgreSQL."""

import datetime
import threading

from handnet_grader.service.queue import SubmissionQueue

T0 = datetime.datetime(2026, 12, 7, 17, 0)


def claim_all(url, claimers, receipts=60):
    """``receipts`` receipts, then ``claimers`` threads, each with a queue of its own on
    ``url``, claiming at once until nothing waits: (ids received, ids taken, errors)."""
    ids = {
        SubmissionQueue(url)
        .receive(f"s{n}", "01_neuron", f"{n:064d}", received=T0 + datetime.timedelta(minutes=n))
        .id
        for n in range(receipts)
    }
    taken, errors, start = [], [], threading.Barrier(claimers)

    def claimer():
        queue = SubmissionQueue(url)
        start.wait()
        try:
            while (receipt := queue.claim()) is not None:
                taken.append(receipt.id)
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=claimer) for _ in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ids, taken, errors
