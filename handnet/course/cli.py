"""The ``handnet`` command: the instructor's entry point, from anywhere inside the course.

    handnet release [ASSIGNMENT ...]     build release/ from source/ (all by default)
    handnet check-release                regenerate into a temporary folder and compare
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .layout import CourseNotFound, assignments, course_root
from .release import ReleaseError, generate_release, release_differences


def _use_this_environment():
    """nbgrader runs the ``alembic`` command for its gradebook: find it beside Python."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def cmd_release(root, args):
    names = args.assignments or assignments(root)
    unknown = sorted(set(names) - set(assignments(root)))
    if unknown:
        sys.exit(f"handnet: no assignment {', '.join(unknown)} in {root / 'source'} "
                 f"(there are: {', '.join(assignments(root))})")
    out = generate_release(root, names)
    print(f"released {len(names)} assignment(s) into {out}: {', '.join(names)}")


def cmd_check_release(root, args):
    with tempfile.TemporaryDirectory() as tmp:
        generate_release(root, release_dir=tmp, use_db=False)
        problems = release_differences(tmp, root / "release")
    if problems:
        print("release/ is out of sync with source/ (run `handnet release`):")
        print("\n".join(f"  {p}" for p in problems))
        return 1
    print(f"release/ is in sync with source/ ({len(assignments(root))} assignments).")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="handnet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="build release/ from source/")
    p.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("check-release", help="check that release/ is what source/ generates")
    p.set_defaults(func=cmd_check_release)
    args = parser.parse_args(argv)
    _use_this_environment()
    try:
        root = course_root()
        return args.func(root, args) or 0
    except (CourseNotFound, ReleaseError) as e:
        sys.exit(f"handnet: {e}")


if __name__ == "__main__":
    sys.exit(main())
