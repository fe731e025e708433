"""Solution lines of source/ and where they leak: the scanner behind the student
environment's test (installed files) and the release's hint test (notebook prose).

The rule, one for both:
- a *solution line* is a line between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in a
  code cell of a notebook in source/;
- lines are compared *compacted*: every whitespace character removed, line breaks
  included, so re-indenting, doubled spaces, ``a-y`` for ``a - y`` or a line wrapped in
  two do not hide a line; a leak is a solution line found anywhere inside a text
  (``a - y`` is found in ``Return a - y.``);
- only *telling* lines count: at least ``MIN_SIGNIFICANT`` (12) characters that are not
  whitespace, not a comment, and not a bare keyword line (``TRIVIAL_LINES``). Shorter
  lines (``return a``, ``pass``, ``else:``, lone brackets, ``e[j] = 1.0``) are common
  enough in prose and in given code that finding one proves nothing.
"""

import io
import json
import re
import tokenize
from pathlib import Path

MIN_SIGNIFICANT = 12
TRIVIAL_LINES = {
    "pass",
    "else:",
    "try:",
    "break",
    "continue",
    "return",
    "return e",
    "return self",
    "return None",
    "return True",
    "return False",
}


def normalise(line):
    """``line`` stripped, with every run of whitespace inside it made one space."""
    return " ".join(line.split())


def compact(line):
    """``line`` without any whitespace: the form in which lines are compared."""
    return "".join(line.split())


def telling(line):
    """Is this normalised solution line specific enough that finding it proves a leak?"""
    return (
        len(compact(line)) >= MIN_SIGNIFICANT
        and not line.startswith("#")
        and line not in TRIVIAL_LINES
    )


def cells(notebook):
    """The cells of a notebook file, as dicts with their source joined into one string."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    return [{**cell, "source": "".join(cell["source"])} for cell in nb["cells"]]


def solution_lines(source):
    """The telling lines, normalised, between ``### BEGIN SOLUTION`` and ``### END
    SOLUTION`` in the code cells of every notebook in ``source`` (the course's source/)."""
    lines = set()
    for notebook in sorted(Path(source).glob("*/*.ipynb")):
        for cell in cells(notebook):
            if cell["cell_type"] != "code":
                continue
            inside = False
            for line in cell["source"].splitlines():
                if line.strip().startswith("### BEGIN SOLUTION"):
                    inside = True
                elif line.strip().startswith("### END SOLUTION"):
                    inside = False
                elif inside and telling(normalise(line)):
                    lines.add(normalise(line))
    return lines


def found_in(solutions, text):
    """The solution lines (sorted) that occur, compacted, anywhere in ``text``."""
    compacted = compact(text)
    return [line for line in sorted(solutions) if compact(line) in compacted]


def leaks(solutions, roots):
    """(file, solution line) for every solution line found in a text file under ``roots``
    (files or folders). Every file that reads as UTF-8 counts as text (.py, .md, .json,
    METADATA, RECORD...); binary ones (.npz, .pyc) are skipped."""
    files = [
        path
        for root in roots
        for path in ([root] if root.is_file() else root.rglob("*"))
        if path.is_file()
    ]
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [(path, line) for line in found_in(solutions, text)]
    return found


STRING_QUOTES = re.compile(r"""^[A-Za-z]*("{3}|'{3}|"|')(.*)\1$""", re.DOTALL)


def code_prose(code):
    """What a student reads as words in a code cell: its comments and the text of its
    string literals (docstrings, assertion messages), in the order they come, so that a
    comment block or an implicitly concatenated message reads as one text. Code that
    does not tokenize (a cell magic, a syntax error) counts as prose entirely, so nothing
    escapes the scan."""
    pieces = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.COMMENT:
                pieces.append(token.string.lstrip("#"))
            elif token.type == tokenize.STRING:
                quoted = STRING_QUOTES.match(token.string)
                pieces.append(quoted.group(2) if quoted else token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return code
    return "\n".join(pieces)


def notebook_prose(notebook):
    """[(cell id, text)] for every cell: a markdown or raw cell whole (hints in
    ``<details>`` included), a code cell's comments and strings."""
    prose = []
    for cell in cells(notebook):
        text = code_prose(cell["source"]) if cell["cell_type"] == "code" else cell["source"]
        prose.append((cell.get("id"), text))
    return prose


def prose_leaks(solutions, notebook):
    """(cell id, solution line) for every solution line found in the prose of a notebook."""
    return [
        (cell_id, line)
        for cell_id, text in notebook_prose(notebook)
        for line in found_in(solutions, text)
    ]
