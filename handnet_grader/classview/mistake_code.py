"""A catalogued mistake written out as code, for the sample class's mistake submissions.

A mistake sample runs its mistaken function in the grading kernel, where ``handnet_ref``
does not exist. ``mistake_source(key)`` is the code of the catalogue entry ``key`` (the
expression after the hint in ``Mistake(key, hint, variant)``) together with every
definition of ``handnet_ref`` that it needs, found by following the names it uses through
the modules' own top-level statements (a ``def``, a ``class``, an assignment, an import).
All of it sits inside one function, so that the helpers never land among the student's
names:

    def _written_out():
        import numpy as np

        def sigmoid(z):
            ...
        reference_sigmoid = sigmoid
        return lambda z: reference_sigmoid(-np.asarray(z, dtype=float))
    _mistake = _written_out()

Docstrings and comments are left out (the code is rewritten by ``ast.unparse``). Imports
of other packages (numpy, json, copy) stay imports. Anything that would still need
``handnet_ref`` or ``handnet`` when it runs, or two different definitions under one name,
is an error here, when the sample is made, not in the kernel.
"""

import ast
import builtins
import functools
import importlib
import importlib.util
import inspect
import symtable
import textwrap
from types import ModuleType

REFERENCE = "handnet_ref"
FACTORY = "_written_out"
RESULT = "_mistake"


class NotWritable(Exception):
    """A mistake whose code cannot be written out on its own (say which and why)."""


@functools.cache
def _parsed(module_name: str) -> tuple[ModuleType, list[ast.stmt]]:
    """(module, its top-level statements) of a module of the reference."""
    module = importlib.import_module(module_name)
    return module, ast.parse(inspect.getsource(module)).body


@functools.cache
def catalogue_expressions() -> dict[str, tuple[str, ast.expr]]:
    """{mistake key: (topic module name, the variant's expression node)} for every
    ``Mistake("<key>", hint, variant)`` written with a literal key in a topic module."""
    from handnet_ref.checks import TOPICS

    found = {}
    for topic in TOPICS:
        _, body = _parsed(topic.__name__)
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Mistake"
                and len(node.args) == 3
                and isinstance(node.args[0], ast.Constant)
            ):
                found[node.args[0].value] = (topic.__name__, node.args[2])
    return found


def free_names(code: str) -> set[str]:
    """The names that ``code`` (a module's text) uses but does not bind, builtins aside."""
    top = symtable.symtable(code, "<mistake>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    used = set()

    def walk(table: symtable.SymbolTable) -> None:
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (symbol.is_global() or table is top):
                used.add(symbol.get_name())
        for child in table.get_children():
            walk(child)

    walk(top)
    return used - bound - set(dir(builtins))


def _without_docstrings(node):
    """``node`` with the docstring of every function and class in it removed."""
    for inner in ast.walk(node):
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = inner.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                inner.body = body[1:] or [ast.Pass()]
    return node


def _binding(module_name: str, name: str) -> ast.stmt:
    """The top-level statement of ``module_name`` that binds ``name`` (for an import, the
    statement narrowed to that one name)."""
    _, body = _parsed(module_name)
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)) and stmt.name == name:
            return stmt
        if isinstance(stmt, ast.Assign) and [getattr(t, "id", None) for t in stmt.targets] == [
            name
        ]:
            return stmt
        if isinstance(stmt, ast.AnnAssign) and getattr(stmt.target, "id", None) == name:
            return stmt
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                if (alias.asname or alias.name.split(".")[0]) == name:
                    narrowed = (
                        ast.ImportFrom(module=stmt.module, names=[alias], level=stmt.level)
                        if isinstance(stmt, ast.ImportFrom)
                        else ast.Import(names=[alias])
                    )
                    return narrowed
    raise NotWritable(f"{module_name} has no top-level statement that binds {name!r}")


class _Writer:
    """Collects the statements a piece of code needs, each after those it needs."""

    def __init__(self, key):
        self.key = key
        self.lines = []
        self.bound = {}  # name -> (module, name) it stands for

    def _bind(self, name, identity):
        """False if ``name`` already stands for ``identity``; raises if for another."""
        if name in self.bound:
            if self.bound[name] != identity:
                raise NotWritable(
                    f"{self.key}: {name!r} would stand for both {self.bound[name]} and {identity}"
                )
            return False
        self.bound[name] = identity
        return True

    def need_all(self, module_name: str, code: str) -> None:
        """Write the definition of every free name of ``code`` as ``module_name`` sees it."""
        for name in sorted(free_names(code)):
            self.need(module_name, name)

    def need(self, module_name: str, name: str) -> None:
        """Write the definition of ``name`` as ``module_name`` sees it."""
        stmt = _binding(module_name, name)
        if isinstance(stmt, ast.ImportFrom) and stmt.level:
            package = importlib.import_module(module_name).__package__
            source = importlib.util.resolve_name("." * stmt.level + (stmt.module or ""), package)
            stmt = ast.ImportFrom(module=source, names=stmt.names, level=0)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            (alias,) = stmt.names
            source = stmt.module if isinstance(stmt, ast.ImportFrom) else alias.name
            if source.split(".")[0] == REFERENCE and isinstance(stmt, ast.ImportFrom):
                # the definition itself, under its own name, then the alias
                self.need(source, alias.name)
                if (
                    alias.asname
                    and alias.asname != alias.name
                    and self._bind(alias.asname, (source, alias.name))
                ):
                    self.lines.append(f"{alias.asname} = {alias.name}")
                return
            if source.split(".")[0] in (REFERENCE, "handnet"):
                raise NotWritable(f"{self.key}: needs the module {source} in the kernel")
            if self._bind(name, ("import", ast.unparse(stmt))):
                self.lines.append(ast.unparse(stmt))
            return
        if not self._bind(name, (module_name, name)):
            return
        code = ast.unparse(_without_docstrings(stmt))
        self.need_all(module_name, code)
        self.lines.append(code)


def mistake_source(key: str) -> str:
    """Python code that binds ``_mistake`` to the catalogued mistake ``key``'s variant,
    needing nothing of ``handnet_ref`` (see the module docstring). Raises KeyError for a
    key not in the catalogue, NotWritable for a variant that cannot be written out."""
    expressions = catalogue_expressions()
    if key not in expressions:
        raise KeyError(f"no mistake {key!r} written as Mistake({key!r}, ...) in the catalogue")
    module_name, node = expressions[key]
    writer = _Writer(key)
    result = f"return {ast.unparse(node)}"
    writer.need_all(module_name, result.replace("return ", f"{RESULT} = ", 1))
    body = textwrap.indent("\n".join([*writer.lines, result]), "    ")
    return f"def {FACTORY}():\n{body}\n{RESULT} = {FACTORY}()\n"
