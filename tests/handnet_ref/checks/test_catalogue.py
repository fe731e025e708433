"""Every entry of the common-mistakes catalogue is recognised, and every check tells the
reference from code that does nothing."""

import re

import pytest

from handnet_ref.checks import CATALOGUE, TOPICS, CheckFailed

SEEDS = ["1", "2", "3"]
ALL_CHECKS = [(topic, name) for topic in TOPICS for name in topic.CHECKS]


def check_for(key):
    """The check that a mistake's key names: 'sigmoid.sign' -> the topic's check_sigmoid."""
    name = key.split(".")[0]
    for topic in TOPICS:
        if name in topic.CHECKS:
            return topic.CHECKS[name]
    raise LookupError(f"no check named {name!r} for mistake {key!r}")


def test_check_names_are_unique_across_topics_and_each_topic_names_its_assignment():
    """Could a mistake be sent to another topic's check of the same name? Does every topic
    say which assignment it checks (the sample class needs it)?"""
    names = [name for topic in TOPICS for name in topic.CHECKS]
    assert len(names) == len(set(names))
    assert all(isinstance(getattr(topic, "ASSIGNMENT", None), str) for topic in TOPICS)


def test_catalogue_keys_are_unique_and_name_a_check():
    """Does every mistake have its own key, naming a check that exists?"""
    keys = [m.key for m in CATALOGUE]
    assert len(keys) == len(set(keys))
    for key in keys:
        check_for(key)


def does_nothing(*args, **kwargs):
    """Code that returns None and changes nothing: wrong for every exercise, whatever the
    reference says."""


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("topic, name", ALL_CHECKS, ids=[n for _, n in ALL_CHECKS])
def test_each_check_passes_the_reference_and_refuses_code_that_does_nothing(
    monkeypatch, seed, topic, name
):
    """On every seed, does the check pass the reference, yet refuse code that does nothing
    without blaming a catalogued mistake? Passing the reference (what the check compares
    with) shows only that the check runs and gives both the same inputs; the refusal shows
    that it can fail, even where no mistake is catalogued (cross_entropy_edges). Correct
    code written differently is passed in the topics' tests."""
    monkeypatch.setenv("HANDNET_CHECK_SEED", seed)
    check = topic.CHECKS[name]
    check(topic.REFERENCES[name])
    with pytest.raises(CheckFailed) as refused:
        check(does_nothing)
    assert not any(mistake.hint in str(refused.value) for mistake in CATALOGUE)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mistake", CATALOGUE, ids=[m.key for m in CATALOGUE])
def test_each_mistake_fails_with_its_own_hint(monkeypatch, seed, mistake):
    """Code with this mistake fails its check, and the message is this mistake's hint."""
    monkeypatch.setenv("HANDNET_CHECK_SEED", seed)
    with pytest.raises(CheckFailed, match=re.escape(mistake.hint)):
        check_for(mistake.key)(mistake.variant)
