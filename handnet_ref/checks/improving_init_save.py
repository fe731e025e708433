"""Checks for assignment 6, part 3: the N(0, 1/n_in) weight initialiser, and saving and
loading a network as JSON.

The initialiser's reference is ``initializers.scaled_weights`` (network2's default); its
mistakes are ``_initialise`` (the same draws, for a written-out mistake sample) with one
slip. Saving and loading follow the notebook's file format, which differs from
``network2.Network.save``'s: the cost is saved under its class name
(``"CrossEntropyCost"``, not the cost's ``name``), and no ``init`` or ``dtype`` is saved.
So ``reference_save`` is ``_save_variant()`` without a change, and ``reference_load``
builds network2's ``Network`` (``_Net``) from such a file;
``test_references_follow_the_network`` holds both to network2's save and load.

(Over 300 lines: the checks of one assignment's part and the catalogue of their
mistakes, each with its hint, kept in one module so that the notebook, this module
and its test file line up.)
"""

import copy
import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..costs import CrossEntropyCost, QuadraticCost
from ..initializers import scaled_weights
from ._improving_net import COST_CLASSES, _Net, _random_parameters
from .core import (
    CheckFailed,
    Mistake,
    as_plain,
    call_student,
    check_rng,
    is_class,
    student_function,
    temporary_folder,
    type_name,
)

ASSIGNMENT = "06_improving"
# The notebook's function that each check tests, where the names differ.
FUNCTIONS = {"save_json": "save", "load_json": "load"}

# --- 6. the weight initialiser ----------------------------------------------------------


def _initialise(
    self, rng, scale=lambda n_in, n_out: 1 / np.sqrt(n_in), scale_biases=False, draw=None
):
    """default_weight_initializer with one slip (the defaults: none)."""
    draw = draw or rng.standard_normal
    self.biases = [
        draw((y, 1)) * (scale(x, y) if scale_biases else 1.0)
        for x, y in zip(self.sizes[:-1], self.sizes[1:])
    ]
    self.weights = [draw((y, x)) * scale(x, y) for x, y in zip(self.sizes[:-1], self.sizes[1:])]


def reference_default_weight_initializer(self, rng: np.random.Generator) -> None:
    """Biases from N(0, 1); weights into a neuron with n_in inputs from N(0, 1/n_in)
    (``initializers.scaled_weights``, which draws in the notebook's order)."""
    self.weights, self.biases = scaled_weights(self.sizes, rng)


INITIALIZER_MISTAKES = (
    Mistake(
        "default_weight_initializer.global_rng",
        "use the generator you are given (rng.standard_normal(...)), not np.random: "
        "then the same seed always gives the same network.",
        lambda self, rng: _initialise(self, rng, draw=np.random.standard_normal),
    ),
    Mistake(
        "default_weight_initializer.large",
        "divide the N(0, 1) draws by sqrt(n_in), the number of inputs of the layer: your "
        "weights have standard deviation 1.",
        lambda self, rng: _initialise(self, rng, scale=lambda n_in, n_out: 1.0),
    ),
    Mistake(
        "default_weight_initializer.n_in",
        "divide by np.sqrt(n_in), not by n_in: your weights are too small (their variance "
        "should be 1/n_in, so their standard deviation is 1/sqrt(n_in)).",
        lambda self, rng: _initialise(self, rng, scale=lambda n_in, n_out: 1 / n_in),
    ),
    Mistake(
        "default_weight_initializer.n_out",
        "scale by the number of inputs each neuron has, n_in = sizes[l] (the layer "
        "before), not by the number of neurons in the layer (n_out).",
        lambda self, rng: _initialise(self, rng, scale=lambda n_in, n_out: 1 / np.sqrt(n_out)),
    ),
    Mistake(
        "default_weight_initializer.biases_scaled",
        "keep the biases N(0, 1): only the weights are scaled by 1/sqrt(n_in).",
        lambda self, rng: _initialise(self, rng, scale_biases=True),
    ),
    Mistake(
        "default_weight_initializer.uniform",
        "draw from a normal distribution (rng.standard_normal), not a uniform one "
        "(rng.random): your weights are not centred on 0.",
        lambda self, rng: _initialise(self, rng, draw=rng.random),
    ),
)


def _initialised(fn, sizes, seed, what):
    """(weights, biases) set by ``fn(self, default_rng(seed))`` on a fresh network."""
    net = _Net(sizes)

    def run():
        fn(net, np.random.default_rng(seed))
        return net.weights, net.biases

    (weights, biases), _ = call_student(run, (), what)
    if weights is None or biases is None:
        raise CheckFailed(
            f"{what} should set self.weights and self.biases (lists of arrays, "
            "one per layer after the input)."
        )
    return as_plain(list(weights)), as_plain(list(biases))


def _statistics(weights, biases):
    """(shapes, [(mean, std) of each weight matrix], (mean, std) of all the biases)."""
    shapes = [w.shape for w in weights] + [b.shape for b in biases]
    w_stats = [(float(np.mean(w)), float(np.std(w))) for w in weights]
    all_b = np.concatenate([b.ravel() for b in biases])
    return shapes, w_stats, (float(np.mean(all_b)), float(np.std(all_b)))


def _statistics_agree(s, t):
    """Whether two initialisations look drawn from the same distributions."""
    if s[0] != t[0]:
        return False
    pairs = [(a, b, 1.1, 0.1) for a, b in zip(s[1], t[1])] + [(s[2], t[2], 1.2, 0.25)]
    for (mean_s, std_s), (mean_t, std_t), ratio, shift in pairs:
        if min(std_s, std_t) <= 0 or max(std_s, std_t) / min(std_s, std_t) > ratio:
            return False
        if abs(mean_s - mean_t) > shift * max(std_s, std_t):
            return False
    return True


def check_default_weight_initializer(obj: Any) -> None:
    """default_weight_initializer(self, rng): shapes, N(0, 1/n_in) weights and N(0, 1)
    biases (judged by their statistics on a large network), and a seed fixes the result."""
    fn = student_function(obj, "default_weight_initializer")
    what = "default_weight_initializer"
    rng, seed = check_rng()
    sizes = [int(rng.integers(400, 800)), int(rng.integers(150, 250)), int(rng.integers(400, 600))]
    draw_seed = int(rng.integers(2**31))
    weights, biases = _initialised(fn, sizes, draw_seed, what)
    expected_shapes = [(y, x) for x, y in zip(sizes[:-1], sizes[1:])] + [(y, 1) for y in sizes[1:]]
    shapes = [getattr(a, "shape", None) for a in (weights or []) + (biases or [])]
    if weights is None or biases is None or shapes != expected_shapes:
        raise CheckFailed(
            f"{what}: for sizes {sizes} the weights should have shapes "
            f"{expected_shapes[:2]} and the biases {expected_shapes[2:]}; yours "
            f"have {shapes}."
        )
    again = _initialised(fn, sizes, draw_seed, what)
    if not all(np.array_equal(a, b) for a, b in zip(weights + biases, again[0] + again[1])):
        raise CheckFailed(f"{what}: {INITIALIZER_MISTAKES[0].hint}")
    got = _statistics(weights, biases)
    expected = _statistics(
        *_initialised(reference_default_weight_initializer, sizes, draw_seed, what)
    )
    if _statistics_agree(got, expected):
        return
    for mistake in INITIALIZER_MISTAKES[1:]:
        try:
            variant = _statistics(*_initialised(mistake.variant, sizes, draw_seed, what))
        except CheckFailed:
            continue
        if _statistics_agree(got, variant):
            raise CheckFailed(f"{what}: {mistake.hint}")
    described = ", ".join(
        f"layer {l + 1}: std {std:.4g} (should be about {1 / np.sqrt(n):.4g})"
        for l, ((_, std), n) in enumerate(zip(got[1], sizes))
    )
    raise CheckFailed(
        f"{what}: for sizes {sizes} the weights do not look like N(0, 1/n_in) "
        f"draws with N(0, 1) biases ({described}; biases: mean {got[2][0]:.3g}, "
        f"std {got[2][1]:.3g}, should be about 0 and 1) (check seed {seed})."
    )


# --- 7. saving and loading --------------------------------------------------------------


def _differences(got, expected):
    """A sentence naming the first difference between two summaries (dicts), or None."""
    for key, want in expected.items():
        have = got.get(key)
        if isinstance(want, list) and want and isinstance(want[0], np.ndarray):
            if not isinstance(have, list) or len(have) != len(want):
                return f"{key} should be a list of {len(want)} arrays."
            for i, (h, w) in enumerate(zip(have, want)):
                try:
                    h = np.asarray(h, dtype=np.float64)
                except (TypeError, ValueError):
                    return f"{key}[{i}] should be an array of numbers."
                if h.shape != w.shape:
                    return (
                        f"{key}[{i}] should have shape {w.shape}; it has shape "
                        f"{getattr(h, 'shape', None)}."
                    )
                if not np.allclose(h, w, rtol=1e-12, atol=0):
                    return f"{key}[{i}] does not hold the right numbers."
        elif have != want:
            return f"{key} should be {want!r}; it is {have!r}."
    return None


def _verdict(what, got, expected, variants, seed):
    problem = _differences(got, expected)
    if problem is None:
        return
    for mistake, summary in variants:
        if summary is not None and _differences(got, summary) is None:
            raise CheckFailed(f"{what}: {mistake.hint}")
    raise CheckFailed(f"{what}: {problem} (check seed {seed})")


def _save_variant(**changes):
    """save with the keys in ``changes`` changed (key -> f(self)) or left out (None)."""

    def save(self, filename):
        data = {
            "sizes": self.sizes,
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "cost": self.cost.__name__,
        }
        for key, change in changes.items():
            if change is None:
                del data[key]
            else:
                data[key] = change(self)
        with open(filename, "w") as f:
            json.dump(data, f)

    return save


# Write sizes, weights, biases (nested lists) and the cost's class name as JSON.
reference_save = _save_variant()

SAVE_MISTAKES = (
    Mistake(
        "save_json.cost_repr",
        "save just the class's name, self.cost.__name__, so that load can find the class: "
        'the file\'s "cost" is the text of the class, like "<class \'...CrossEntropyCost\'>".',
        _save_variant(cost=lambda self: str(self.cost)),
    ),
    Mistake(
        "save_json.no_cost",
        'save the cost\'s name too (self.cost.__name__): the file has no "cost", so a '
        "loaded network would not know how it was trained.",
        _save_variant(cost=None),
    ),
    Mistake(
        "save_json.transposed",
        "save each w as it is, w.tolist(): you saved the weight matrices transposed.",
        _save_variant(weights=lambda self: [w.T.tolist() for w in self.weights]),
    ),
)


def _file_summary(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return {"error": f"the file could not be read as JSON ({e})."}
    if not isinstance(data, dict):
        return {
            "error": f"the file should hold a JSON object (a dict); it holds {type(data).__name__}."
        }
    summary = {}
    for key in ("sizes", "cost"):
        summary[key] = data.get(key)
    for key in ("weights", "biases"):
        try:
            summary[key] = [np.asarray(a, dtype=np.float64) for a in data.get(key) or []]
        except (TypeError, ValueError):
            summary[key] = None
    return summary


def _saved(fn, net, what):
    with temporary_folder() as folder:
        path = os.path.join(folder, "network.json")
        call_student(fn, (copy.deepcopy(net), path), what)
        if not os.path.exists(path):
            raise CheckFailed(
                f"{what} wrote no file: it should write the network to the "
                "file named by its argument."
            )
        return _file_summary(path)


def check_save_json(obj: Any) -> None:
    """save(self, filename): the JSON file holds sizes, weights, biases and the cost's name."""
    fn = student_function(obj, "save")
    if not callable(fn):
        raise CheckFailed("save: expected a function.")
    rng, seed = check_rng()
    sizes = [int(rng.integers(3, 7)) for _ in range(int(rng.integers(2, 4)))]
    cost = [QuadraticCost, CrossEntropyCost][int(rng.integers(2))]
    net = _Net(sizes, *_random_parameters(rng, sizes), cost=cost)
    got = _saved(fn, net, "save")
    if "error" in got:
        raise CheckFailed(f"save: {got['error']}")
    expected = _saved(reference_save, net, "save")
    variants = [(m, _saved(m.variant, net, "save")) for m in SAVE_MISTAKES]
    _verdict("save", got, expected, variants, seed)


def reference_load(filename: str | Path) -> _Net:
    """The network saved in ``filename``: network2's ``Network`` (``_Net``) with the file's
    sizes, cost class, weights and biases."""
    with open(filename) as f:
        data = json.load(f)
    return _Net(
        data["sizes"],
        [np.array(w) for w in data["weights"]],
        [np.array(b) for b in data["biases"]],
        COST_CLASSES[data["cost"]],
    )


LOAD_MISTAKES = (
    Mistake(
        "load_json.lists",
        "turn each loaded weight and bias into a NumPy array (np.array(w)) so that the "
        "network can compute with it: yours are Python lists.",
        lambda filename: _load_variant(filename, arrays=False),
    ),
    Mistake(
        "load_json.cost_name",
        'look the cost class up by its name, e.g. {"QuadraticCost": QuadraticCost, '
        '"CrossEntropyCost": CrossEntropyCost}[data["cost"]]: the loaded network\'s cost is '
        "the name (a string).",
        lambda filename: _load_variant(filename, cost_class=False),
    ),
)


def _load_variant(filename, arrays=True, cost_class=True):
    """What load with one slip returns (its sizes, weights, biases and cost)."""
    with open(filename) as f:
        data = json.load(f)
    as_arrays = (lambda ps: [np.array(p) for p in ps]) if arrays else (lambda ps: ps)
    return SimpleNamespace(
        sizes=data["sizes"],
        weights=as_arrays(data["weights"]),
        biases=as_arrays(data["biases"]),
        cost=COST_CLASSES[data["cost"]] if cost_class else data["cost"],
    )


def _net_summary(net):
    if not all(hasattr(net, name) for name in ("sizes", "weights", "biases", "cost")):
        raise CheckFailed(
            f"load should return the network it built (an object with sizes, "
            f"weights, biases and cost); it returned {type_name(net)}."
        )
    cost = getattr(net, "cost", None)
    weights, biases = getattr(net, "weights", None), getattr(net, "biases", None)
    sizes = getattr(net, "sizes", None)
    return {
        "sizes": [int(s) for s in sizes] if isinstance(sizes, (list, tuple)) else sizes,
        "cost": cost.__name__ if is_class(cost) else repr(cost),
        "weights and biases are NumPy arrays": isinstance(weights, list)
        and isinstance(biases, list)
        and all(isinstance(a, np.ndarray) for a in weights + biases),
        "weights": weights,
        "biases": biases,
    }


def check_load_json(obj: Any) -> None:
    """load(filename): a network with the file's sizes, weights, biases (arrays) and cost
    class, for both costs."""
    if not callable(obj):
        raise CheckFailed("load: expected a function.")
    rng, seed = check_rng()
    with temporary_folder() as folder:
        for k, cost in enumerate(("CrossEntropyCost", "QuadraticCost")):
            sizes = [int(rng.integers(3, 7)) for _ in range(int(rng.integers(2, 4)))]
            weights, biases = _random_parameters(rng, sizes)
            path = os.path.join(folder, f"network{k}.json")
            with open(path, "w") as f:
                json.dump(
                    {
                        "sizes": sizes,
                        "weights": [w.tolist() for w in weights],
                        "biases": [b.tolist() for b in biases],
                        "cost": cost,
                    },
                    f,
                )
            net, _ = call_student(obj, (path,), "load")
            got = _net_summary(net)
            expected = _net_summary(reference_load(path))
            expected["weights"], expected["biases"] = weights, biases
            variants = [(m, _net_summary(m.variant(path))) for m in LOAD_MISTAKES]
            for _, summary in variants:
                summary["weights"], summary["biases"] = weights, biases
            _verdict("load", got, expected, variants, seed)


CATALOGUE = INITIALIZER_MISTAKES + SAVE_MISTAKES + LOAD_MISTAKES

CHECKS = {
    "default_weight_initializer": check_default_weight_initializer,
    "save_json": check_save_json,
    "load_json": check_load_json,
}

REFERENCES = {
    "default_weight_initializer": reference_default_weight_initializer,
    "save_json": reference_save,
    "load_json": reference_load,
}
