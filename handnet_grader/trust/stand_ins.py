"""What a grading kernel finds in its exchange folder in place of the grader's own: a
stand-in ``handnet_ref`` package, whose ``check_*`` functions ask the grader to run the
real checks (``handnet.probe``), and a copy of the grader's matplotlib font cache.

The kernel imports the stand-ins from ``<exchange>/kernel_path`` (its PYTHONPATH, see
``kernel_manager.kernel_environment``); the reference itself is never in the kernel.
"""

import glob
import os
import shutil

_STUB = '''"""Stand-in for handnet_ref.checks.{topic} in a grading kernel: checks run in the grader."""
from handnet.probe import check_function


def __getattr__(name):
    if name.startswith("check_"):
        return check_function({topic!r}, name)
    raise AttributeError(name)
'''


def write_kernel_path(folder: str) -> None:
    """A stand-in ``handnet_ref`` package in ``folder``: ``handnet_ref.checks.<topic>``
    for every topic, whose ``check_*`` functions ask the grader (``handnet.probe``)."""
    from handnet_ref.checks import TOPICS

    package = os.path.join(folder, "handnet_ref")
    os.makedirs(os.path.join(package, "checks"))
    with open(os.path.join(package, "__init__.py"), "w") as f:
        f.write('"""Stand-in: the reference is not available in a grading kernel."""\n')
    with open(os.path.join(package, "checks", "__init__.py"), "w") as f:
        f.write('"""Stand-in: the hidden checks run in the grader."""\n')
    for module in TOPICS:
        topic = module.__name__.rsplit(".", 1)[-1]
        with open(os.path.join(package, "checks", f"{topic}.py"), "w") as f:
            f.write(_STUB.format(topic=topic))


def copy_font_cache(folder: str) -> None:
    """The grader's matplotlib font cache, copied into ``folder`` (a fresh cache would be
    rebuilt, with a message on stderr, in whichever cell first imports matplotlib)."""
    os.makedirs(folder)
    try:
        import matplotlib

        for path in glob.glob(os.path.join(matplotlib.get_cachedir(), "fontlist-*.json")):
            shutil.copy(path, folder)
    except Exception:
        pass


def prepare_exchange(exchange: str) -> None:
    """The kernel's part of the exchange folder: kernel_path/ (the stand-ins) and
    matplotlib/ (the font cache)."""
    write_kernel_path(os.path.join(exchange, "kernel_path"))
    copy_font_cache(os.path.join(exchange, "matplotlib"))
