"""The machinery of hidden tests: run the student's code on inputs chosen at grading
time, compare with the reference, and name the most likely mistake when they differ.

A check is a few lines in a topic module (``neuron.py``, ``backprop.py``, ...):

    def check_sigmoid(sigmoid):
        rng, seed = check_rng()
        cases = [(rng.normal(0, 4, size=(5, 3)),) for _ in range(3)]
        compare_function(sigmoid, reference_sigmoid, cases, SIGMOID_MISTAKES,
                         what="sigmoid", seed=seed)

and a hidden test cell calls it in one line. Each ``Mistake`` is a deliberately wrong
copy of the reference; when the student's output equals one of them, the failure message
is that mistake's hint, which says what to fix.
"""

import contextlib
import contextvars
import copy
import os
import secrets
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from handnet.wire import CheckFailed, Kind, RemoteError, remote

# A value as ``as_plain`` gives it: float64 arrays, nested in lists or tuples.
Plain = np.ndarray | list[Any] | tuple[Any, ...]


@dataclass(frozen=True)
class Mistake:
    """A common mistake: ``variant`` computes what code with this mistake returns, from
    the same arguments as the reference; ``hint`` tells the student what went wrong."""

    key: str
    hint: str
    variant: Callable


def check_rng() -> tuple[np.random.Generator, int]:
    """(Generator, seed) for one check: the seed is ``$HANDNET_CHECK_SEED`` if set (to
    replay a failure), else drawn fresh, so the inputs cannot be known in advance."""
    seed = int(os.environ.get("HANDNET_CHECK_SEED") or secrets.randbits(32))
    return np.random.default_rng(seed), seed


def is_class(obj: Any) -> bool:
    """Whether ``obj`` is a class: here, or (seen from the grader) in the student's kernel."""
    described = remote(obj)
    return isinstance(obj, type) or (described is not None and described.kind == Kind.CLASS)


def type_name(obj: Any) -> str:
    """The name of ``obj``'s type, as the student would see it in their kernel (for an
    exception raised there, the student's exception's type)."""
    if isinstance(obj, RemoteError):
        return obj.type_name
    described = remote(obj)
    return described.type_name if described is not None else type(obj).__name__


def student_function(obj: Any, name: str) -> Callable[..., Any]:
    """The function to check: ``obj.<name>`` when ``obj`` is the student's class (their
    ``Network``), else ``obj`` itself (the function, as written before it is attached)."""
    if is_class(obj):
        described = remote(obj)
        get = described.attribute if described is not None else (lambda n: getattr(obj, n))
        try:
            return get(name)
        except AttributeError:
            raise CheckFailed(
                f"your {obj.__name__} class has no method {name}: run the cell "
                f"that defines it and attaches it ({obj.__name__}.{name} = {name})."
            ) from None
    fn = obj
    if not callable(fn):
        raise CheckFailed(f"{name}: expected a function, got {type_name(fn)}.")
    return fn


def call_student(
    fn: Any, args: tuple[Any, ...], what: str, copy_args: bool = True
) -> tuple[Any, list[warnings.WarningMessage]]:
    """fn(*args), with the student's warnings kept off stderr.

    The arguments are deep copies unless ``copy_args`` is False (for checks that inspect
    ``self`` or stand-ins afterwards). Returns (result, warnings caught). An exception in
    the student's code becomes a CheckFailed that names it (the student's own traceback is
    not what they need here); a CheckFailed raised by a stand-in the check passed in keeps
    its message.
    """
    if not callable(fn):
        raise CheckFailed(f"{what}: expected a function, got {type_name(fn)}.")
    if copy_args:
        args = copy.deepcopy(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*args)
        except NotImplementedError:
            raise CheckFailed(f"{what}: not written yet (it raises NotImplementedError).") from None
        except CheckFailed as e:
            raise CheckFailed(f"{what}: {e}") from None
        except Exception as e:
            raise CheckFailed(f"{what} raised {type_name(e)}: {e}") from None
    return result, caught


def as_plain(value: Any, like: Plain | None = None) -> Plain | None:
    """The value as float64 arrays, nested in lists/tuples, or None if it is not numbers.

    Without ``like``, lists and tuples keep their structure (as in a reference's
    (nabla_b, nabla_w)). With ``like`` (a plain value), the value is read in that shape of
    structure: where ``like`` is an array, a list of numbers becomes an array too. Text,
    None and other objects are not numbers, even when NumPy could parse them.
    """
    if isinstance(value, (list, tuple)) and (like is None or isinstance(like, (list, tuple))):
        likes = like if like is not None and len(like) == len(value) else [None] * len(value)
        parts = [as_plain(v, l) for v, l in zip(value, likes)]
        return None if any(p is None for p in parts) else type(value)(parts)
    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if array.dtype.kind not in "biuf":
        return None
    return array.astype(np.float64)


def outputs_match(got: Plain, expected: Plain, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether two plain values (see ``as_plain``) have the same structure, shapes and
    numbers, within the tolerances."""
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(got, (list, tuple))
            and len(got) == len(expected)
            and all(outputs_match(g, e, rtol, atol) for g, e in zip(got, expected))
        )
    return (
        isinstance(got, np.ndarray)
        and got.shape == expected.shape
        and bool(np.all(np.isfinite(got) == np.isfinite(expected)))
        and np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    )


def describe_difference(got: Plain, expected: Plain, what: str) -> str:
    """One or two sentences: what was expected, what came back, where they differ."""
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            return f"{what} should return a {type(expected).__name__} of {len(expected)} items; it returned a single value."
        if len(got) != len(expected):
            return f"{what} should return {len(expected)} items; it returned {len(got)}."
        for i, (g, e) in enumerate(zip(got, expected)):
            if not outputs_match(g, e):
                return describe_difference(g, e, f"{what.rstrip(',')}, item {i},")
    if got.shape != expected.shape:
        hint = " (a transpose?)" if got.shape == expected.shape[::-1] else ""
        return f"{what} should have shape {expected.shape}; it has shape {got.shape}{hint}."
    diff = np.abs(got - expected)
    worst = (
        np.unravel_index(np.nanargmax(np.where(np.isnan(diff), np.inf, diff)), diff.shape)
        if diff.size
        else ()
    )
    return (
        f"{what} is wrong: at index {tuple(int(i) for i in worst)} the answer should be "
        f"{expected[worst]:.6g}, yours is {got[worst]:.6g}."
    )


def judge(
    results: Sequence[Any],
    expected: Sequence[Plain | None],
    variants: Sequence[tuple[Mistake, Sequence[Plain | None]]],
    what: str,
    seed: int | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> None:
    """Pass (return) if every result matches its expected output; otherwise raise
    CheckFailed with the hint of the first mistake that explains every result, or else a
    description of the first difference.

    results: the student's outputs, one per case; expected: the reference's, as plain
    values; variants: (Mistake, [its plain output per case, None where it raised]) pairs.
    """
    got = [as_plain(r, e) for r, e in zip(results, expected)]
    for r, g in zip(results, got):
        if g is None:
            raise CheckFailed(
                f"{what} should return numbers (a NumPy array); it returned {type_name(r)}."
            )
    if all(outputs_match(g, e, rtol, atol) for g, e in zip(got, expected)):
        return
    for mistake, outputs in variants:
        if all(w is not None and outputs_match(g, w, rtol, atol) for g, w in zip(got, outputs)):
            raise CheckFailed(f"{what}: {mistake.hint}")
    g, e = next((g, e) for g, e in zip(got, expected) if not outputs_match(g, e, rtol, atol))
    replay = f" (check seed {seed})" if seed is not None else ""
    raise CheckFailed(describe_difference(g, e, what) + replay)


# The folder for temporary_folder in this thread's checks (the grader runs each
# submission's checks in a thread of its own): None, the system's temporary folder.
_scratch = contextvars.ContextVar("handnet_check_scratch", default=None)


@contextlib.contextmanager
def scratch_in(folder: str | None) -> Iterator[None]:
    """Within this block (in this thread), ``temporary_folder`` makes its folders in
    ``folder`` (one that the student's kernel can see, when the kernel runs in a sandbox)."""
    token = _scratch.set(folder)
    try:
        yield
    finally:
        _scratch.reset(token)


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    """A TemporaryDirectory for files that the student's code reads or writes (open to
    the sandboxed kernel's user when made in a scratch folder)."""
    scratch = _scratch.get()
    folder = tempfile.TemporaryDirectory(prefix="check-", dir=scratch)
    if scratch is not None:
        os.chmod(folder.name, 0o777)
    return folder


def quietly(fn: Callable[..., Any], case: tuple[Any, ...]) -> Plain | None:
    """fn(*copy of case) with warnings silenced, or None if it raises: for running the
    reference and the wrong variants, whose warnings are not the student's."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return as_plain(fn(*copy.deepcopy(case)))
        except Exception:
            return None


def compare_function(
    fn: Any,
    reference: Callable[..., Any],
    cases: Sequence[tuple[Any, ...]],
    mistakes: Sequence[Mistake] = (),
    what: str = "your function",
    seed: int | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    describe: Callable[..., str] | None = None,
    part: Callable[[Any], Any] | None = None,
) -> None:
    """Check ``fn(*case)`` against ``reference(*case)`` for every case (a tuple of
    arguments), naming a catalogued mistake when one explains the difference.

    ``describe(*case)``, if given, names the case when the student's code raises on it
    (e.g. "network [3, 4, 2], x of shape (3, 1)"); ``part(output)``, if given, picks the
    part of every output (the student's, the reference's, each mistake's) to compare.
    """
    keep = part or (lambda output: output)
    results = []
    for case in cases:
        named = f"{what} ({describe(*case)})" if describe is not None else what
        results.append(keep(call_student(fn, case, named)[0]))
    expected = [quietly(lambda *c: keep(reference(*c)), case) for case in cases]
    variants = [
        (m, [quietly(lambda *c, v=m.variant: keep(v(*c)), case) for case in cases])
        for m in mistakes
    ]
    judge(results, expected, variants, what, seed, rtol, atol)
