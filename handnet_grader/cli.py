"""The ``handnet`` command: the instructor's entry point, from anywhere inside the course.

handnet release [ASSIGNMENT ...]      build release/ from source/ (all by default)
handnet check-release                 regenerate into a temporary folder and compare
handnet autograde [-a A] [-s S] [-j N] grade submitted/ (N worker processes)
    [--scheduler tcp://HOST:8786]     ... on a Dask cluster's workers instead
    [--missing]                       ... only submissions without an up-to-date record
handnet feedback [-a A] [-s S]        feedback pages into feedback/
handnet export                        grades/grades.csv and grades/cells.csv
handnet summary [-a A]                the table of points and statuses
handnet mistakes [-a A] [--plot PNG]  what the class got wrong: scores, test cells,
                                      catalogued mistakes per exercise, integrity
handnet demo [-j N]                   all of it on the sample class (every assignment's
                                      reference, untouched and partial submissions;
                                      the first one's mistakes and broken submissions)
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .cluster.connect import ClusterError
from .course.gradebook import GradebookUnavailable, prepare_gradebook
from .course.release import ReleaseError, generate_release, release_differences
from .course.root import CourseNotFound, assignments, course_root, put_python_first
from .run.driver import GradingStopped


def _api(root):
    """nbgrader's API on the course (``autograde.grading_api``), its gradebook made ready."""
    from .run.autograde import grading_api

    api = grading_api(root)
    prepare_gradebook(api.coursedir.db_url, api.coursedir.course_id)
    return api


def _check_names(root, names):
    unknown = sorted(set(names) - set(assignments(root)))
    if unknown:
        sys.exit(
            f"handnet: no assignment {', '.join(unknown)} in {root / 'source'} "
            f"(there are: {', '.join(assignments(root))})"
        )


def cmd_release(root: Path, args: argparse.Namespace) -> None:
    names = args.assignments or assignments(root)
    _check_names(root, names)
    out = generate_release(root, names)
    print(f"released {len(names)} assignment(s) into {out}: {', '.join(names)}")


def cmd_check_release(root: Path, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        generate_release(root, release_dir=tmp, use_db=False)
        problems = release_differences(tmp, root / "release")
    if problems:
        print("release/ is out of sync with source/ (run `handnet release`):")
        print("\n".join(f"  {p}" for p in problems))
        return 1
    print(f"release/ is in sync with source/ ({len(assignments(root))} assignments).")
    return 0


def _progress(done, total, record):
    print(
        f"[{done:>{len(str(total))}}/{total}] {record.assignment}  {record.student:<30} "
        f"{record.points:>5g}/{record.max_points:<5g} {record.status}"
        f"{'  (' + record.message[:60] + ')' if record.message else ''}",
        flush=True,
    )


def cmd_autograde(root: Path, args: argparse.Namespace) -> int:
    from .run.backends import LocalBackend
    from .run.driver import drive, make_ready, prepare

    if args.assignment:
        _check_names(root, [args.assignment])
    scheduler = getattr(args, "scheduler", None)
    missing = getattr(args, "missing", False)
    plan = prepare(root, args.assignment, args.student, missing)
    if not plan.pairs and not plan.skipped:
        print("nothing to grade: no matching submissions in submitted/<student>/<assignment>/")
        return 1
    if scheduler:  # an unreachable cluster stops the run before anything is touched
        from .cluster.dask_backend import DaskBackend

        backend = DaskBackend.connect(scheduler)
        where = f"on the Dask cluster at {scheduler}"
    else:
        backend = LocalBackend(args.workers)
        where = f"with {args.workers} worker(s)"
    try:
        make_ready(plan)
    except BaseException:
        backend.close()
        raise
    if plan.added:
        print(f"recorded {', '.join(plan.added)} in the gradebook (generated from source/)")
    if plan.differences:
        print(
            "WARNING: release/ differs from what source/ generates, so students may have "
            "notebooks the gradebook does not describe (run `handnet release`):\n"
            + "\n".join(f"  {d}" for d in plan.differences)
        )
    if missing:
        print(
            f"{len(plan.skipped)} of {len(plan.skipped) + len(plan.pairs)} submission(s) "
            "already graded from the same files: left as they are"
        )
    if not plan.pairs:
        backend.close()
        return 0
    print(f"grading {len(plan.pairs)} submission(s) {where}")
    started = time.monotonic()
    try:
        run = drive(plan, backend, report=_progress)
    except GradingStopped as e:  # the records written stay
        print(f"handnet: {e}: run `handnet autograde --missing` when it is back", file=sys.stderr)
        return 1
    seconds = time.monotonic() - started
    print(
        f"graded {len(run.records)} submission(s) in {seconds:.1f} s "
        f"({seconds / max(len(run.records), 1):.2f} s each)"
    )
    if run.not_graded:
        print(
            f"{len(run.not_graded)} submission(s) not graded: {backend.gone or 'the grading stopped'}; "
            "run `handnet autograde"
            + (f" --scheduler {scheduler}" if scheduler else "")
            + " --missing` again when it is back",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_feedback(root: Path, args: argparse.Namespace) -> None:
    from .feedback.pages import generate_feedback

    n = generate_feedback(_api(root), root, args.assignment, args.student)
    print(f"wrote {n} feedback page(s) into {root / 'feedback'}")


def cmd_export(root: Path, args: argparse.Namespace) -> None:
    from .run.report import export

    for path in export(root):
        print(f"wrote {path}")


def cmd_summary(root: Path, args: argparse.Namespace) -> int | None:
    from .run.records import load_records
    from .run.report import summary

    records = load_records(root, args.assignment)
    if not records:
        print("no grading records yet: run `handnet autograde` first")
        return 1
    print(summary(records))


def cmd_mistakes(root: Path, args: argparse.Namespace) -> int | None:
    from .classview.view import class_view, plot, text
    from .run.records import load_records

    if args.assignment:
        _check_names(root, [args.assignment])
    names = (
        [args.assignment] if args.assignment else sorted({r.assignment for r in load_records(root)})
    )
    if not names:
        print("no grading records yet: run `handnet autograde` first")
        return 1
    try:
        views = [class_view(root, a) for a in names]
    except ValueError as e:  # no records of the assignment asked for
        sys.exit(f"handnet: {e}")
    print("\n\n".join(text(v) for v in views))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        for view in views:  # several assignments: one image each, named after it
            path = Path(args.plot)
            path = path if len(views) == 1 else path.with_stem(f"{path.stem}-{view.assignment}")
            plot(view).savefig(path, dpi=100)
            print(f"wrote {path}")


def cmd_demo(root: Path, args: argparse.Namespace) -> int | None:
    """The whole pipeline on the sample class."""
    from .classview.sample_class import sample_class, write_sample_class

    os.environ.setdefault("HANDNET_CELL_TIMEOUT", "15")
    names = assignments(root)
    print(f"1. release: {', '.join(names)}")
    generate_release(root, names)
    samples = sample_class(root, names, mistakes_in=names[:1])
    write_sample_class(root, samples)
    print(f"2. sample class: {len(samples)} submissions in submitted/")
    print("3. autograde")
    args.assignment = args.student = None
    if cmd_autograde(root, args):  # grading stopped (the gradebook went away): said why
        return 1
    print("4. feedback")
    cmd_feedback(root, args)
    print("5. export")
    cmd_export(root, args)
    print("6. summary\n")
    return cmd_summary(root, args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="handnet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="build release/ from source/")
    p.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("check-release", help="check that release/ is what source/ generates")
    p.set_defaults(func=cmd_check_release)
    for name, func, helptext in (
        ("autograde", cmd_autograde, "grade submitted/"),
        ("feedback", cmd_feedback, "write feedback pages"),
        ("summary", cmd_summary, "print the grade summary"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("-a", "--assignment")
        if name != "summary":
            p.add_argument("-s", "--student")
        if name == "autograde":
            p.add_argument("-j", "--workers", type=int, default=min(2, os.cpu_count() or 1))
            p.add_argument(
                "--scheduler",
                metavar="tcp://HOST:8786",
                help="grade on this Dask scheduler's workers (-j is then unused)",
            )
            p.add_argument(
                "--missing",
                action="store_true",
                help="grade only submissions without a record made from their "
                "current files (and grader failures)",
            )
        p.set_defaults(func=func)
    p = sub.add_parser("export", help="write grades/grades.csv and grades/cells.csv")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("mistakes", help="what the class got wrong, with the catalogued mistakes")
    p.add_argument("-a", "--assignment")
    p.add_argument("--plot", metavar="PNG", help="also draw the view into this image file")
    p.set_defaults(func=cmd_mistakes)
    p = sub.add_parser("demo", help="release, sample class, autograde, feedback, export, summary")
    p.add_argument("-j", "--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    put_python_first()
    try:
        root = course_root()
        return args.func(root, args) or 0
    except (CourseNotFound, ReleaseError, GradebookUnavailable, ClusterError) as e:
        sys.exit(f"handnet: {e}")


if __name__ == "__main__":
    sys.exit(main())
