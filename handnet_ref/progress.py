"""A progress bar for training that notebooks render as a widget and that can be off.

Off when ``progress=False`` is passed, when ``HANDNET_PROGRESS=0``, and always while
nbgrader runs a notebook (``NBGRADER_EXECUTION`` is set): a terminal bar writes to
stderr, and nbgrader scores any stderr in a test cell as a failure.
"""

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm


def progress_enabled(progress: bool | None = None) -> bool:
    """Resolve a ``progress`` argument (True, False or None for the default) to a bool."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return False
    if progress is None:
        return os.environ.get("HANDNET_PROGRESS", "1") != "0"
    return bool(progress)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, desc: str, progress: bool | None = None) -> "tqdm | _NoBar":
    """A tqdm bar over ``total`` steps (``tqdm.auto``: a widget in Jupyter), or a silent stand-in."""
    if not progress_enabled(progress):
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="epoch", leave=True)
