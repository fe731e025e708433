"""A catalogued mistake planted in the reference submission: the solution cell that
defines the mistaken function gets the mistake's code (``mistake_source``: the grading
kernel never sees ``handnet_ref``), and the solution cells that call that function are
the ones whose points it may also cost.
"""

import re

from nbformat import NotebookNode

from ..notebook.cells import nbgrader_metadata
from ..notebook.exercises import filled
from .mistake_code import mistake_source


def defined_name(code: str) -> str | None:
    """The function a solution cell defines (its first ``def``), or None."""
    m = re.search(r"^def (\w+)\(", code, re.M)
    return m.group(1) if m else None


def dependents(solved: dict[str, str], gid: str) -> set[str]:
    """Solution cells whose code calls, directly or through others, the function that
    solution cell ``gid`` defines."""
    found, frontier = set(), [gid]
    while frontier:
        name = defined_name(solved[frontier.pop()])
        if name is None:
            continue
        for other, code in solved.items():
            if (
                other != gid
                and other not in found
                and re.search(rf"\b{name}\b", re.sub(rf"^def {name}\(.*$", "", code, flags=re.M))
            ):
                found.add(other)
                frontier.append(other)
    return found


def mistake_target(solved: dict[str, str], name: str) -> tuple[str, list[str]] | tuple[None, None]:
    """(solution grade_id, lines that swap in the mistake) for the function ``name``: the
    solution cell that defines it (or, failing that, the cell with that grade_id and the
    function it defines); the lines rebind the function, and re-attach it wherever the
    cell attaches it to a class (``Network.name = name``)."""
    gid = next(
        (g for g, code in solved.items() if re.search(rf"^def {re.escape(name)}\(", code, re.M)),
        None,
    )
    fn = name
    if gid is None and name in solved:
        gid, fn = name, defined_name(solved[name])
    if gid is None or fn is None:
        return None, None
    attach = re.findall(rf"^(\w+)\.{re.escape(fn)} = {re.escape(fn)}$", solved[gid], re.M)
    return gid, [f"{fn} = _mistake", *(f"{cls}.{fn} = {fn}" for cls in attach)]


def with_mistake(
    release_nb: NotebookNode, solved: dict[str, str], key: str, function: str | None = None
) -> tuple[NotebookNode, str] | None:
    """The reference submission with the catalogued mistake ``key`` in place of the
    student's function (``function``, default: the check's name, the part of the key
    before the dot), or None if no solution cell defines it."""
    gid, lines = mistake_target(solved, function or key.split(".")[0])
    if gid is None:
        return None
    nb = filled(release_nb, solved, set(solved))
    for cell in nb.cells:
        if nbgrader_metadata(cell).get("grade_id") == gid:
            cell.source += (
                f"\n\n# Sample submission: the catalogued mistake {key}, swapped in.\n"
                + mistake_source(key)
                + "\n".join(lines)
            )
    return nb, gid
