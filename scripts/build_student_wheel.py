"""Build the students' wheel, ``dist/handnet-<version>-py3-none-any.whl``: handnet/ and nothing else.

    python scripts/build_student_wheel.py [--dist dist]

(``make student-env`` runs this, then installs the wheel into ``.venv-student``.) handnet/
is copied beside ``packaging/student/pyproject.toml`` in a temporary folder, so neither the
root pyproject.toml (the instructor's install, with handnet_grader and handnet_ref) nor any
other folder of the repository can reach the build. pip builds the wheel there offline,
with the setuptools of the Python that runs this script. The wheel is then read back: a
path of handnet_ref or handnet_grader in it, or anything besides handnet/ and its metadata,
fails the build loudly and the wheel is deleted, so it cannot be installed by mistake.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = REPO / "packaging" / "student" / "pyproject.toml"
PACKAGE = REPO / "handnet"
FORBIDDEN = ("handnet_ref", "handnet_grader")


def distribution():
    """Name and version from the students' pyproject, as in their wheel: "handnet-0.1.0"."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return f"{project['name']}-{project['version']}"


def build(dist):
    """Build the wheel into the folder ``dist`` from a copy of handnet/; return its path."""
    dist.mkdir(parents=True, exist_ok=True)
    wheel = dist / f"{distribution()}-py3-none-any.whl"
    wheel.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="handnet-student-") as tmp:
        shutil.copyfile(PYPROJECT, Path(tmp) / "pyproject.toml")
        shutil.copytree(
            PACKAGE, Path(tmp) / "handnet", ignore=shutil.ignore_patterns("__pycache__")
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "-w",
                str(dist.resolve()),
                ".",
            ],
            cwd=tmp,
            check=True,
        )
    if not wheel.exists():
        sys.exit(f"pip did not write {wheel}: is the version in {PYPROJECT} the one pip built?")
    return wheel


def stray_entries(names, metadata):
    """The wheel entries that must not be there: any path naming handnet_ref or
    handnet_grader, then anything outside handnet/ and the ``metadata`` folder."""
    forbidden = [name for name in names if any(word in name for word in FORBIDDEN)]
    outside = [name for name in names if not name.startswith(("handnet/", metadata + "/"))]
    return forbidden + [name for name in outside if name not in forbidden]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dist",
        type=Path,
        default=REPO / "dist",
        help="folder to write the wheel into (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    wheel = build(args.dist)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    metadata = f"{distribution()}.dist-info"
    stray = stray_entries(names, metadata)
    if stray:
        wheel.unlink()
        sys.exit(
            f"REFUSED: the students' wheel {wheel} held files that are not handnet/ or its "
            f"metadata (it has been deleted):\n  " + "\n  ".join(stray)
        )
    print(f"built {wheel}: {len(names)} files, handnet/ and {metadata}/ only")


if __name__ == "__main__":
    main()
