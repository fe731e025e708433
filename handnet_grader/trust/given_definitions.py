"""The helpers of a notebook's given cells, defined by the grader from the instructor's
notebook, never taken from the student's kernel.

Visible tests call helpers that the notebook gives (assignment 4's ``Recorder`` and
``numbered``). Looked up in the kernel, they would be whatever the student's code made of
them: a later cell can redefine ``Recorder`` to record what the tests want to see. So
``GuardedExecute`` reads the given cells from the source notebook and
``visible_tests.run_visible`` runs the definitions chosen here in the grader's process
before a test cell's visible code: their names win over the kernel's, and the objects
they make (a ``Recorder()``) are the grader's, lent to the student's code.

The source notebook is ``source/<assignment>/<notebook>.ipynb`` of nbgrader's course
directory: the one file the release and the gradebook are made from, with its cells in
order and their nbgrader metadata (the gradebook keeps only locked cells, unordered, and
not whether a cell is a solution), and present wherever grading runs (a Dask worker's
throw-away course holds ``source/`` too).

The rule. Given cells are the code cells that are neither solution nor test cells. From
their top-level statements, in order, the grader takes:

- every ``def`` and ``class`` whose global names are all builtins, names imported at the
  top level of a given cell, literal constants assigned there (``EPOCHS = 3``), or other
  definitions taken;
- the imports and constants those definitions use.

Nothing else runs: no call, loop, print, data loading or training, no assignment of a
computed value. Two kinds of definitions stay the kernel's, as before:

- a name that the notebook's solution cells extend or rebind (``Network``, whose
  methods the student writes: ``Network.SGD = SGD``), which the tests must see as the
  student made it;
- a definition that uses a name staying the kernel's (``hand_network`` builds a
  ``Network``; a helper that reads data loaded in a given cell).

A given cell that does not parse is kept whole, so that running the definitions fails
and ``run_visible`` says that the course, not the student, is at fault.
"""

import ast
import builtins
import logging
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from traitlets.config import Config

from ..notebook.cells import is_given_cell, is_solution_cell

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
IMPORTS = (ast.Import, ast.ImportFrom)


def _bound_at_top(statement: ast.stmt) -> set[str]:
    """The module-level names a top-level statement binds (its own name for a def)."""
    if isinstance(statement, DEFINITIONS):
        return {statement.name}
    if isinstance(statement, IMPORTS):
        return {(a.asname or a.name).split(".")[0] for a in statement.names}
    found, todo = set(), [statement]
    while todo:  # every Name stored outside a nested def or lambda (cautious: a
        # comprehension's variables count too)
        node = todo.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, ast.NamedExpr):
            found.add(node.target.id)
        if not isinstance(node, (*DEFINITIONS, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return found


def _extended(statement: ast.stmt) -> set[str]:
    """Names whose attributes a statement sets (``Network.SGD = SGD``), at any depth."""
    return {
        node.value.id
        for node in ast.walk(statement)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, (ast.Store, ast.Del))
        and isinstance(node.value, ast.Name)
    }


def global_names(definition: ast.stmt) -> set[str]:
    """The names a ``def`` or ``class`` (its decorators, defaults and bases included)
    reads from the module: those it uses and never binds itself; its own name counts,
    a recursive function needs it. Over-cautious where a name is both local and global."""
    local = set()
    for node in ast.walk(definition):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            local.add(node.id)
        elif isinstance(node, ast.arg):
            local.add(node.arg)
        elif isinstance(node, DEFINITIONS) and node is not definition:
            local.add(node.name)
        elif isinstance(node, IMPORTS):
            local |= _bound_at_top(node)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            local.add(node.name)
    used = {
        n.id
        for n in ast.walk(definition)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    return used - local


def _is_constant(statement: ast.stmt) -> bool:
    """``NAME = <a literal>``."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        return False
    try:
        ast.literal_eval(statement.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _kind(statement: ast.stmt) -> str:
    if isinstance(statement, IMPORTS):
        return "import"
    if isinstance(statement, DEFINITIONS):
        return "definition"
    return "constant" if _is_constant(statement) else "computed"


def given_code(cells: Iterable[NotebookNode]) -> str:
    """The code the grader runs for the given cells among ``cells`` (a source notebook's,
    in order): the definitions and the imports and constants they use, chosen by the
    module's rule, as one program ("" if there are none)."""
    cells = list(cells)
    kernels = set()  # names that stay the kernel's
    for cell in filter(is_solution_cell, cells):
        try:
            body = ast.parse(cell.source).body
        except SyntaxError:
            continue
        for statement in body:
            kernels |= _bound_at_top(statement) | _extended(statement)
    chosen = []  # top-level statements, and sources that do not parse, in notebook order
    for cell in filter(is_given_cell, cells):
        try:
            chosen += ast.parse(cell.source).body
        except SyntaxError:
            chosen.append(cell.source)
    binders = {}  # name -> the statements that bind it
    kinds = {}  # name -> the kinds of those statements
    for statement in (s for s in chosen if isinstance(s, ast.stmt)):
        kernels |= _extended(statement)  # a given cell that patches a given class
        for name in _bound_at_top(statement):
            binders.setdefault(name, []).append(statement)
            kinds.setdefault(name, set()).add(_kind(statement))
    kernels |= {name for name, k in kinds.items() if len(k) > 1 or k == {"computed"}}
    available = {n for n, k in kinds.items() if k <= {"import", "constant"}} - kernels
    taken = {n for n, k in kinds.items() if k == {"definition"}} - kernels
    reads = {name: set().union(*map(global_names, binders[name])) for name in taken}
    known = available | set(dir(builtins))
    while any(reads[name] - taken - known for name in taken):
        taken = {name for name in taken if not reads[name] - taken - known}
    needed = taken | (available & set().union(set(), *(reads[name] for name in taken)))
    keep = {id(s) for name in needed for s in binders[name]}
    parts = [
        s if isinstance(s, str) else ast.unparse(s)
        for s in chosen
        if isinstance(s, str) or id(s) in keep
    ]
    return "\n\n".join(parts) + "\n" if parts else ""


def source_notebook(config: Config, assignment: str, notebook: str) -> Path:
    """Where nbgrader's course directory (``config``) keeps the instructor's version of
    ``notebook`` (its name without ``.ipynb``) of ``assignment``."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    folder = coursedir.format_path(coursedir.source_directory, ".", assignment)
    return Path(folder) / f"{notebook}.ipynb"


def given_code_for(config: Config, resources: dict) -> tuple[str, str | None]:
    """(code, problem): the given definitions of the notebook that nbgrader's
    ``resources`` name, read from its source notebook; ("", None) outside nbgrader (no
    assignment named), ("", what went wrong) when the source cannot be read."""
    named = (resources or {}).get("nbgrader") or {}
    assignment, notebook = named.get("assignment"), named.get("notebook")
    if not assignment or not notebook:
        return "", None
    path = source_notebook(config, assignment, notebook)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as e:
        problem = (
            f"the source notebook {path} could not be read ({type(e).__name__}: {e}): the "
            "helpers of its given cells were looked up in the kernel"
        )
        logging.getLogger("handnet").warning(problem)
        return "", problem
    return given_code(nb.cells), None
