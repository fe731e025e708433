"""Which catalogued mistake a failed cell's message shows: a hint cut short, the longest
of several hints, the check named before it, and the catalogue as it is now."""

import dataclasses

from handnet_grader.classview.outcomes import catalogue, identify
from handnet_grader.run.records import MESSAGE_CHARS
from handnet_ref.checks import Mistake, neuron

GIVEN = "sigmoid_prime.given_activation"


def test_identify_reads_a_hint_cut_short_by_the_record():
    """A long hint cut at MESSAGE_CHARS is still recognised; a cut message whose text
    departs from the hint is not."""
    long = Mistake("f.long", "your output " + "is wrong in a long way, " * 30 + "fix it.", abs)
    message = f"CheckFailed: f: {long.hint}"[:MESSAGE_CHARS]
    assert len(long.hint) > MESSAGE_CHARS and identify(message, [long]) is long
    assert identify(message[:-5] + "XXXXX", [long]) is None
    assert identify("CheckFailed: f: your output is right", [long]) is None


def test_identify_prefers_the_longest_hint_then_the_check_named_before_it():
    short = Mistake("f.short", "the bias is missing.", abs)
    longer = Mistake("f.longer", "with the activation: the bias is missing.", abs)
    assert (
        identify("CheckFailed: f: with the activation: the bias is missing.", [short, longer])
        is longer
    )
    same_a = Mistake("backprop.swapped", "return (nabla_b, nabla_w) in that order.", abs)
    same_b = Mistake("numerical_gradient.swapped", same_a.hint, abs)
    for m in (same_a, same_b):
        assert identify(f"CheckFailed: {m.key.split('.')[0]}: {m.hint}", [same_a, same_b]) is m
    assert identify(same_a.hint, [same_a, same_b], exercise="numerical_gradient") is same_b
    prime = Mistake("sigmoid_prime.x", "one hint.", abs)
    plain = Mistake("sigmoid.x", "one hint.", abs)  # "sigmoid" is not named in "sigmoid_prime"
    assert identify("CheckFailed: sigmoid_prime: one hint.", [plain, prime]) is prime
    assert identify("CheckFailed: sigmoid_prime: one hint.", [prime, plain]) is prime


def test_the_catalogue_is_read_as_it_is_now(monkeypatch):
    """A reworded hint is matched as reworded: the view holds no copy of the hints."""
    old = next(m for m in neuron.CATALOGUE if m.key == GIVEN)
    reworded = dataclasses.replace(old, hint="you passed sigmoid(z) where z was expected.")
    monkeypatch.setattr(
        neuron, "CATALOGUE", tuple(reworded if m is old else m for m in neuron.CATALOGUE)
    )
    now = catalogue("01_neuron")
    assert reworded in now and old not in now
    assert identify(f"CheckFailed: sigmoid_prime: {reworded.hint}", now).key == GIVEN
    assert identify(f"CheckFailed: sigmoid_prime: {old.hint}", now) is None
