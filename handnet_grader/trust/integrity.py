"""Evidence for the integrity report: code in a submission that reaches for what grading
keeps from it, or that tampers with what the kernel runs.

The sandbox and the verdicts outside the kernel make such code fail; this scan says that
it was tried, so that an instructor can look. Each finding names the cell (counted from
1), the line and what it reaches for. The patterns are few and specific: the sample
class's honest submissions (the reference solutions) raise none.
"""

import re
from pathlib import Path
from typing import Any

import nbformat

PATTERNS = (
    ("the gradebook", re.compile(r"gradebook|\.db\b", re.I)),
    ("the reference package", re.compile(r"\bhandnet_ref\b")),
    (
        "the grading protocol",
        re.compile(r"handnet\.(?:probe|wire|link)|\bHANDNET_\w*|\b[Vv]erdict"),
    ),
    ("the course folders", re.compile(r"(\.\./){2,}|\b(source|autograded|submitted|release)/")),
    ("nbgrader", re.compile(r"\bnbgrader\b")),
    ("NumPy's functions (replaced)", re.compile(r"\b(np|numpy)(\.\w+)+\s*=(?!=)")),
    (
        "Python's internals",
        re.compile(
            r"\bsys\.modules\b|\bbuiltins\b|__builtins__|\bgc\.get_objects\b|\bctypes\b|"
            r"\bsys\._getframe\b|\bset_custom_exc\b|\bsys\.excepthook\b|showtraceback"
        ),
    ),
    (
        "processes or the network",
        re.compile(
            r"\bsubprocess\b|\bos\.(system|popen|fork|kill|exec\w*)\b|\bsocket\b|\burllib\b|"
            r"\brequests\."
        ),
    ),
)
MAX_FINDINGS = 10


def scan_source(source: str) -> list[tuple[int, str, str]]:
    """[(line number, what, the line)] for one cell's code."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        code = line.split("#", 1)[0] if not line.lstrip().startswith(("'", '"')) else line
        for what, pattern in PATTERNS:
            if pattern.search(code):
                found.append((number, what, line.strip()[:160]))
                break
    return found


def scan_notebook(path: str | Path) -> list[dict[str, Any]]:
    """Findings for a submitted notebook, as integrity entries ({"cell", "message"});
    an unreadable notebook has none (its status says what is wrong)."""
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception:
        return []
    findings = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for number, what, line in scan_source(cell.source):
            findings.append(
                {"cell": index, "message": f"code reaches for {what} (line {number}: {line})"}
            )
    return findings[:MAX_FINDINGS]
