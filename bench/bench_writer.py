"""Results a second the driver writes back into the course: one at a time as before
(a new nbgrader Gradebook for each result), and through one ``Writer`` session in
batches, measured in the same run on the same results.

The results are real: a few sample submissions of one assignment graded in this process
(``jobs.grade_bundle``, as a worker does), then copied to ``--copies`` students of their
own (each with their own submitted/ folder), so that every write is a new student's.
Writes go to a copy of the course with an SQLite gradebook, as ``make demo`` makes.
Usage: python bench/bench_writer.py [--copies N] [--batch B] [--json out.json]
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from handnet_grader.classview.sample_class import sample_class, write_sample_class  # noqa: E402
from handnet_grader.course.release import ensure_in_gradebook, generate_release  # noqa: E402
from handnet_grader.course.root import put_python_first  # noqa: E402
from handnet_grader.run.autograde import grading_api  # noqa: E402
from handnet_grader.run.jobs import course_bundle, grade_bundle, submission_bundle  # noqa: E402
from handnet_grader.run.submissions import submitted_folder  # noqa: E402
from handnet_grader.run.write_back import Writer, write_result  # noqa: E402

ASSIGNMENT = "03_backprop"
SAMPLES = ("reference", "partial", "untouched")


def graded_course(parent):
    """A copy of the course with the sample submissions of ASSIGNMENT, in the gradebook,
    and their results (``grade_bundle``'s)."""
    root = Path(parent) / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    for folder in ("source", "release"):
        shutil.copytree(REPO / folder, root / folder)
    generate_release(root)
    samples = [
        s
        for s in sample_class(REPO, [ASSIGNMENT], broken_in=[], mistakes_in=[])
        if s.student in SAMPLES
    ]
    write_sample_class(root, samples)
    ensure_in_gradebook(root, [ASSIGNMENT])
    course = course_bundle(root, [ASSIGNMENT])
    results = [
        grade_bundle(course, submission_bundle(root, s.student, ASSIGNMENT)) for s in samples
    ]
    return root, results


def copies_of(root, results, copies, tag):
    """``copies`` results, each a new student's (``<tag><n>``), with their submitted/
    folder."""
    made = []
    for n in range(copies):
        result = dict(results[n % len(results)])
        student = f"{tag}{n:05d}"
        shutil.copytree(
            submitted_folder(root, result["student"], ASSIGNMENT),
            submitted_folder(root, student, ASSIGNMENT),
        )
        result["student"] = student
        if not result["graded"]:
            result["record"] = dict(result["record"], student=student)
        made.append(result)
    return made


def one_at_a_time(root, results):
    """Seconds per result, each written with a Gradebook of its own (as before)."""
    api = grading_api(root)
    start = time.perf_counter()
    for result in results:
        write_result(api, root, result)
    return (time.perf_counter() - start) / len(results)


def in_batches(root, results, batch):
    """Seconds per result, through one Writer in batches of ``batch``."""
    api = grading_api(root)
    start = time.perf_counter()
    with Writer(api, root) as writer:
        for i in range(0, len(results), batch):
            writer.write(results[i : i + batch])
    return (time.perf_counter() - start) / len(results)


def measure(copies=300, batch=32, baseline=60):
    """{"one_at_a_time", "batched"}: seconds per result; "batch"; "results_per_second"
    of each; "speedup" of the batches over the baseline."""
    put_python_first()
    with tempfile.TemporaryDirectory() as tmp:
        root, results = graded_course(tmp)
        old = one_at_a_time(root, copies_of(root, results, baseline, "old"))
        new = in_batches(root, copies_of(root, results, copies, "new"), batch)
    return {
        "batch": batch,
        "results": {"one_at_a_time": baseline, "batched": copies},
        "seconds_per_result": {"one_at_a_time": old, "batched": new},
        "results_per_second": {"one_at_a_time": 1 / old, "batched": 1 / new},
        "speedup": old / new,
    }


def report(figures):
    per = figures["results_per_second"]
    print(
        f"write-back: {per['one_at_a_time']:.1f} results/s one at a time "
        f"({figures['seconds_per_result']['one_at_a_time'] * 1000:.0f} ms each), "
        f"{per['batched']:.1f} results/s in batches of {figures['batch']} "
        f"({figures['seconds_per_result']['batched'] * 1000:.0f} ms each): "
        f"{figures['speedup']:.1f}x"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=300, help="results written in batches")
    parser.add_argument("--batch", type=int, default=32, help="results in one transaction")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures = measure(args.copies, args.batch)
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
