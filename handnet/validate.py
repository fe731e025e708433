"""Whole messages from ``nbgrader validate``.

nbgrader's validator cuts every line of its report at 90 columns (``Validator._indent``
adds "..."), so a failed test's hint ("…fires only when it is p...") loses the part that
says what to do, and its width setting also sets the length of its separator lines.
``show_whole_messages`` makes the report wrap long lines instead of cutting them. The
students' ``nbgrader_config.py`` calls it (nbgrader has no setting to choose the
validator's class); the JupyterLab Validate button already shows whole messages.
"""

import textwrap


def _wrap_lines(self, val):
    from nbgrader.validator import strip_ansi

    room = max(self.width - len(self.indent), 20)
    lines = []
    for line in strip_ansi(val).split("\n"):
        lines += textwrap.wrap(
            line,
            room,
            break_long_words=False,
            break_on_hyphens=False,
            replace_whitespace=False,
            drop_whitespace=False,
        ) or [""]
    return "\n".join(self.indent + line for line in lines)


_NBGRADER = {}  # nbgrader's own _indent, kept when it is replaced


def nbgrader_indent():
    """nbgrader's own ``Validator._indent`` (the one that cuts), replaced or not."""
    from nbgrader.validator import Validator

    return _NBGRADER.get("indent", Validator._indent)


def show_whole_messages():
    """Make nbgrader's validator wrap its report's long lines instead of cutting them
    (once per process; the course's configuration files call it each time they load)."""
    from nbgrader.validator import Validator

    if Validator._indent is not _wrap_lines:
        _NBGRADER["indent"] = Validator._indent
        Validator._indent = _wrap_lines
