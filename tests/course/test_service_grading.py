"""The grading service grades what it received with the one driver, on a copy of the
course: receipts of two students' submissions graded and marked; a service killed after
writing a record but before marking its receipt: the next one marks it without grading it
again."""

from course_files import copy_course, grading_environment

from handnet_grader.classview.sample_class import sample_class, write_sample_class
from handnet_grader.run.backends import LocalBackend
from handnet_grader.run.records import record_path
from handnet_grader.service.grading import grade_waiting, receive_submission
from handnet_grader.service.queue import GRADED, SubmissionQueue

ASSIGNMENT = "01_neuron"
STUDENTS = ("reference", "mistake-sigmoid-tanh")


def test_received_submissions_are_graded_once_through_a_killed_service(tmp_path):
    with grading_environment(HANDNET_CHECK_SEED="2026", HANDNET_CELL_TIMEOUT="30"):
        root = copy_course(tmp_path / "course")
        samples = [s for s in sample_class(root, [ASSIGNMENT]) if s.student in STUDENTS]
        write_sample_class(root, samples)
        url = f"sqlite:///{root / 'gradebook.db'}"
        queue = SubmissionQueue(url)
        receipts = [receive_submission(queue, root, s, ASSIGNMENT) for s in STUDENTS]
        done = grade_waiting(queue, root, lambda: LocalBackend(2))
        graded = {r.student: record for r, record in done}
        reference, mistake = graded["reference"], graded["mistake-sigmoid-tanh"]
        assert reference.points == reference.max_points > 0
        assert mistake.status == "graded" and mistake.points < mistake.max_points
        assert {r.id for r, _ in done} == {r.id for r in receipts}
        assert {r.state for r in queue.receipts()} == {GRADED}
        for record, receipt in ((graded[r.student], r) for r in receipts):
            assert record.submission_sha256 == receipt.sha256

        # The same files received again, claimed, and the service killed before marking:
        record = record_path(root, ASSIGNMENT, "reference")
        written = record.stat().st_mtime_ns
        again = receive_submission(queue, root, "reference", ASSIGNMENT)
        assert queue.claim().id == again.id
        queue.close()
        restarted = SubmissionQueue(url)
        assert restarted.recover() == 1
        done = grade_waiting(restarted, root, lambda: LocalBackend(1))
        assert [(r.id, rec) for r, rec in done] == [(again.id, None)]
        assert record.stat().st_mtime_ns == written
        assert {r.state for r in restarted.receipts()} == {GRADED}
