"""Every public function and method of the grader (issue 12) and of the hidden reference
(issue 19) says what it takes and what it gives back: each parameter but ``self`` and
``cls`` is annotated, and so is the return. Public: a module-level function or a method
of a class (nested classes too) whose name does not start with ``_``; functions defined
inside functions are local."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def unannotated(source: str) -> list[str]:
    """``"line name: what lacks"`` for each public function of ``source`` missing a
    parameter's or the return's annotation, in the order of the source."""
    found = []

    def scan(body: list[ast.stmt], owner: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                scan(node.body, f"{owner}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name.startswith("_"):
                    continue
                a = node.args
                params = [*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg]
                lacking = [
                    p.arg
                    for p in params
                    if p is not None and p.annotation is None and p.arg not in ("self", "cls")
                ]
                lacking += ["return"] if node.returns is None else []
                if lacking:
                    found.append(f"{node.lineno} {owner}{node.name}: {', '.join(lacking)}")

    scan(ast.parse(source).body, "")
    return found


@pytest.mark.parametrize("package", ["handnet_grader", "handnet_ref"])
def test_every_public_function_of_the_package_is_annotated(package):
    """Does every public function of the package annotate all its parameters and its
    return?"""
    lacking = [
        f"{path.relative_to(REPO)}:{entry}"
        for path in sorted((REPO / package).rglob("*.py"))
        for entry in unannotated(path.read_text())
    ]
    assert not lacking, "public functions without annotations:\n" + "\n".join(lacking)


def test_the_scan_names_each_missing_annotation_and_nothing_else():
    """On a hand-made module: an unannotated function, a method lacking its return, a
    function lacking one of its *args or **kwargs, and a nested class's method are named
    with what they lack; annotated, private and local functions are not."""
    source = """
def annotated(x: int, *rest: str, flag: bool = False, **more: float) -> int:
    def local(y):
        return y
    return x


def bare(x, y=1):
    return x


def no_kwargs_annotation(x: int, **options) -> None:
    pass


def _private(x):
    return x


class Network:
    def __init__(self, sizes):
        self.sizes = sizes

    def feedforward(self, a: float):
        return a

    @classmethod
    def load(cls, path: str) -> "Network":
        return cls([])

    class cost:
        @staticmethod
        def fn(a, y) -> float:
            return 0.0
"""
    assert unannotated(source) == [
        "8 bare: x, y, return",
        "12 no_kwargs_annotation: options",
        "24 Network.feedforward: return",
        "33 Network.cost.fn: a, y",
    ]
