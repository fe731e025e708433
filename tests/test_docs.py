"""The README and the guides under docs/ give only real commands and working links.

Every fenced shell block, and every inline code span that starts with one of the course's
commands (``make``, ``handnet``, ``nbgrader``, ``python``, a tool in ``.venv/bin``), is
read command by command, without running it:

- ``make T`` names a target of the Makefile;
- ``handnet SUB --opt`` a subcommand and its options, as ``handnet SUB --help`` lists them
  (through the console script's entry point in pyproject.toml, all in one subprocess);
- ``nbgrader SUB ... --opt`` a subcommand (nested ones too: ``nbgrader db assignment add``)
  and its flags or aliases;
- ``dask SUB --opt`` a subcommand and its options; ``--preload M`` and ``python -m M`` an
  importable module; ``jupyter SUB`` a ``jupyter-SUB`` of the environment;
- a path into the repository (``bench/...``, ``scripts/...``) exists;
- anything else is a system command listed in SYSTEM (``runuser ... --`` and
  ``sh -c '...'`` are read through to the command they run).

Every relative link resolves to a file, and its ``#anchor`` to a heading of that file
(GitHub's anchors).
"""

import functools
import importlib.util
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent  # the instructor's environment: .venv/bin
GENERATED = {".venv", ".venv-student", "dist", "submitted", "feedback", "grades"}
SYSTEM = {"apt-get", "cd", "createdb", "git", "kill", "passwd", "useradd", "usermod"}
SHELL_BLOCK = re.compile(r"^```(?:sh|bash|shell|console)\n(.*?)^```", re.M | re.S)
ANY_BLOCK = re.compile(r"^```.*?^```", re.M | re.S)
CODE_SPAN = re.compile(r"`([^`]+)`")
INLINE_COMMAND = re.compile(
    r"(?:[A-Z_]+=\S+\s+)*(?:make|handnet|nbgrader|python3?|dask|\.venv[\w-]*/bin/[\w-]+)\s"
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


# --- reading the docs -----------------------------------------------------------------------


def commands_in(text):
    """(line number, command text) of every command in the fenced shell blocks and in the
    inline code spans that start with one of the course's commands."""
    found = []
    for block in SHELL_BLOCK.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        lines = block.group(1).replace("\\\n", " ").split("\n")
        found += [(first + i, line) for i, line in enumerate(lines) if line.strip()]
    prose = ANY_BLOCK.sub(lambda m: "\n" * m.group().count("\n"), text)
    for span in CODE_SPAN.finditer(prose):
        code = " ".join(span.group(1).split())
        if INLINE_COMMAND.match(code):
            found.append((prose.count("\n", 0, span.start()) + 1, code))
    return found


def split_commands(line):
    """The simple commands of a shell line, as lists of words: comments dropped, split at
    ``&&``, ``||``, ``;`` and ``|``, leading ``VAR=value`` dropped, placeholders
    (``<assignment>``) and optional brackets (``[-a A]``) read as plain words."""
    line = re.sub(r"<[^<>\s][^<>]*>", "PLACEHOLDER", line)
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands, words = [], []
    for token in lexer:
        if token and set(token) <= set(";&|"):
            commands.append(words)
            words = []
        elif token.strip("[]") not in ("", "..."):
            words.append(token.strip("[]") if token[0] == "[" or token[-1] == "]" else token)
    commands.append(words)
    result = []
    for words in commands:
        while words and re.match(r"[A-Za-z_]\w*=", words[0]):
            words = words[1:]
        if words:
            result.append(words)
    return result


def headings_anchors(path):
    """GitHub's anchors of a markdown file's headings."""
    anchors, seen = set(), {}
    text = ANY_BLOCK.sub("", path.read_text())
    for heading in re.findall(r"^#{1,6}\s+(.*?)\s*#*$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


# --- what is real ----------------------------------------------------------------------------


@functools.cache
def make_targets():
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    targets = set()
    for names in re.findall(r"^([^\s#=:][^=:#]*?)\s*::?(?!=)", text, re.M):
        targets.update(n for n in names.split() if "$" not in n and "%" not in n)
    return targets


HANDNET_HELP = """
import contextlib, importlib, io, json, re, sys
module, _, name = sys.argv[1].partition(":")
main = getattr(importlib.import_module(module), name)

def help_of(*words):
    out = io.StringIO()
    sys.argv = ["handnet", *words, "--help"]
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main()
    return out.getvalue()

subs = re.search(r"{([^}]*)}", help_of()).group(1).split(",")
print(json.dumps({sub: help_of(sub) for sub in subs}))
"""

NBGRADER_TREE = """
import json
from nbgrader.apps.nbgraderapp import NbGraderApp
from traitlets.utils.importstring import import_item

def table(app, name):  # a class attribute, or a trait left at its default: none
    value = getattr(app, name, None)
    return value if isinstance(value, dict) else {}

def names(keys):
    return sorted(n for k in keys for n in (k if isinstance(k, tuple) else (k,)))

def tree(app):
    subs = {}
    for name, (cls, _) in table(app, "subcommands").items():
        subs[name] = tree(import_item(cls) if isinstance(cls, str) else cls)
    options = names(table(app, "flags")) + names(table(app, "aliases"))
    return {"options": options, "subcommands": subs}

print(json.dumps(tree(NbGraderApp)))
"""


def _start(args):
    return subprocess.Popen(
        args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(process):
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, f"{process.args[:3]} failed:\n{err}"
    return out


@functools.cache
def tools():
    """What the tools say about themselves, asked once and all at once (their imports take
    seconds each): {"handnet": {subcommand: help}, "nbgrader": its tree of subcommands
    and options, "dask": {subcommand the docs use: help, or None if it is none}}."""
    entry = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]["handnet"]
    handnet = _start([sys.executable, "-c", HANDNET_HELP, entry])
    nbgrader = _start([sys.executable, "-c", NBGRADER_TREE])
    dask = {sub: _start([str(BIN / "dask"), sub, "--help"]) for sub in _subcommands("dask")}
    return {
        "handnet": json.loads(_finish(handnet)),
        "nbgrader": json.loads(_finish(nbgrader)),
        "dask": {sub: _dask_help(process) for sub, process in dask.items()},
    }


def _dask_help(process):
    out, _ = process.communicate(timeout=120)
    return out if process.returncode == 0 else None


def dask_help(sub):
    """``dask SUB --help``, or None if SUB is no subcommand of dask."""
    if sub not in tools()["dask"]:
        tools()["dask"][sub] = _dask_help(_start([str(BIN / "dask"), str(sub), "--help"]))
    return tools()["dask"][sub]


@functools.cache
def importable(module):
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


# --- checking a doc --------------------------------------------------------------------------


def _options(words):
    return [w.split("=")[0] for w in words if w.startswith("-") and w not in ("-", "--")]


def _first_word(words):
    return next((w for w in words if not w.startswith("-")), None)


def _resolve(words):
    """The command a line runs: through ``runuser ... --`` and ``sh -c '...'``."""
    if words[0] == "runuser" and words[-1] != "--" and "--" in words:
        return _resolve(words[words.index("--") + 1 :])
    if words[0] in ("sh", "bash") and "-c" in words:
        return [c for c in split_commands(words[words.index("-c") + 1]) for c in _resolve(c)]
    return [words]


def _tool(word):
    """(tool name, its environment's bin folder or None) of a command word."""
    path = Path(word)
    if len(path.parts) > 1 and path.parts[0] in (".venv", ".venv-student"):
        own = REPO / path.parent
        return path.name, own if own.is_dir() else BIN
    return path.name, None


def _repo_path_problems(words):
    problems = []
    tops = {p.name for p in REPO.iterdir()} - GENERATED
    for word in words:
        if word.startswith(("-", "/", "~", "$")) or "://" in word or "/" not in word:
            continue
        if Path(word).parts[0] in tops and not (REPO / word).exists():
            problems.append(f"no file or folder {word} in the repository")
    return problems


def command_problems(command):
    """What is not real in one command line (a list of messages, empty if all is)."""
    try:
        simple = [c for words in split_commands(command) for c in _resolve(words)]
    except ValueError as e:
        return [f"cannot read it as a shell command ({e})"]
    problems = []
    for words in simple:
        problems += _repo_path_problems(words)
        name, bin_dir = _tool(words[0])
        args = words[1:]
        if bin_dir is not None and not (bin_dir / name).exists():
            problems.append(f"{words[0]}: the environment has no {name}")
        if name == "make":
            problems += [
                f"make has no target {t}"
                for t in args
                if not t.startswith("-") and "=" not in t and t not in make_targets()
            ]
        elif name == "handnet":
            sub = _first_word(args)
            helptext = tools()["handnet"].get(sub)
            if helptext is None:
                problems.append(f"handnet has no subcommand {sub}")
                continue
            known = set(OPTION.findall(helptext))
            problems += [
                f"handnet {sub} has no option {o}" for o in _options(args) if o not in known
            ]
        elif name == "nbgrader":
            node, path = tools()["nbgrader"], ["nbgrader"]
            for word in args:
                if word.startswith("-") or not node["subcommands"]:
                    break
                if word not in node["subcommands"]:
                    problems.append(f"{' '.join(path)} has no subcommand {word}")
                    break
                node, path = node["subcommands"][word], [*path, word]
            problems += [
                f"{' '.join(path)} has no option {o}"
                for o in _options(args)
                if o.startswith("--") and "." not in o and o[2:] not in node["options"]
            ]
        elif name == "dask":
            sub = _first_word(args)
            helptext = dask_help(sub)
            if helptext is None:
                problems.append(f"dask has no subcommand {sub}")
                continue
            known = set(OPTION.findall(helptext))
            problems += [f"dask {sub} has no option {o}" for o in _options(args) if o not in known]
            problems += [
                f"--preload {m}: no module {m}"
                for o, m in zip(args, args[1:])
                if o == "--preload" and not importable(m)
            ]
        elif name == "jupyter":
            sub = _first_word(args)
            if not ((bin_dir or BIN) / f"jupyter-{sub}").exists():
                problems.append(f"jupyter has no subcommand {sub}")
        elif name in ("python", "python3"):
            if args[:1] == ["-m"]:
                if len(args) < 2 or not importable(args[1]):
                    problems.append(f"python -m: no module {args[1:2]}")
            elif args and not (REPO / args[0]).is_file():
                problems.append(f"python: no script {args[0]} in the repository")
        elif name not in SYSTEM:
            problems.append(f"{name}: neither a command this test checks nor in SYSTEM")
    return problems


def _subcommands(tool):
    """The first word after ``tool`` in the docs' commands, to ask the tool about at once."""
    subs = set()
    for doc in DOCS:
        for _, line in commands_in(doc.read_text()):
            try:
                simple = [c for words in split_commands(line) for c in _resolve(words)]
            except ValueError:
                continue
            subs.update(_first_word(w[1:]) or "" for w in simple if _tool(w[0])[0] == tool)
    return tuple(sorted(subs))


def doc_problems(doc):
    """``"file:line: `command`: problem"`` for every command of the doc that is not real."""
    return [
        f"{doc.name}:{line}: `{command}`: {problem}"
        for line, command in commands_in(doc.read_text())
        for problem in command_problems(command)
    ]


def link_problems(doc):
    """``"file:line: link: problem"`` for every relative link that does not resolve."""
    text = ANY_BLOCK.sub(lambda m: "\n" * m.group().count("\n"), doc.read_text())
    text = CODE_SPAN.sub(lambda m: "\n" * m.group().count("\n"), text)
    problems = []
    for link in LINK.finditer(text):
        target = link.group(1)
        if re.match(r"[a-z][a-z+.-]*:", target):
            continue
        where = f"{doc.name}:{text.count(chr(10), 0, link.start()) + 1}: {target}"
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists():
            problems.append(f"{where}: no file {file}")
        elif anchor and path.suffix == ".md" and anchor not in headings_anchors(path):
            problems.append(f"{where}: no heading #{anchor} in {path.name}")
    return problems


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_command_in_the_docs_is_real(doc):
    """Does every command the README and the guides give name a real target, subcommand,
    option, module and file?"""
    assert commands_in(doc.read_text()) or doc.name not in ("README.md", "instructors.md")
    assert doc_problems(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_link_in_the_docs_resolves(doc):
    """Does every relative link lead to a file, and every anchor to one of its headings?"""
    assert link_problems(doc) == []


def test_every_guide_is_on_the_readmes_map():
    """Is every guide under docs/ linked from the README?"""
    readme = (REPO / "README.md").read_text()
    assert [d.name for d in DOCS[1:] if f"(docs/{d.name}" not in readme] == []


def test_the_docs_check_finds_planted_mistakes(tmp_path):
    """Would a wrong make target, handnet subcommand or option, nbgrader subcommand, module,
    script or repository path in a command, and a broken link or anchor, be caught, while
    the right ones pass?"""
    doc = tmp_path / "planted.md"
    doc.write_text(
        "# A heading\n\n"
        "```sh\n"
        "make demo && make dmeo    # a typo\n"
        "handnet autograde -a 01_neuron --shceduler tcp://HOST:8786\n"
        "handnet grade -a 01_neuron\n"
        "runuser -u g -- sh -c 'cd /srv && nbgrader relase_assignment 01_neuron'\n"
        "nbgrader db assignment add 01_neuron --duedate=2027 --due=2027\n"
        ".venv/bin/dask worker tcp://HOST:8786 --nthreads 1 --preload handnet_grader.nowhere\n"
        "python -m handnet_grader.nowhere\n"
        "python scripts/nowhere.py\n"
        "frobnicate --all\n"
        "```\n\n"
        "Then `make release A=01_neuron` and `handnet summary [-a A] [--plot PNG]`; see\n"
        "[the heading](#a-heading), [MNIST](mnist.md), [nowhere](#no-such-heading),\n"
        "[the map](README.md#the-code) and [gone](docs/gone.md).\n"
    )
    (tmp_path / "mnist.md").write_text("# MNIST\n")
    (tmp_path / "README.md").write_text("# HandNet\n\n## The code\n")
    found = doc_problems(doc)
    expected = [
        "make has no target dmeo",
        "handnet autograde has no option --shceduler",
        "handnet has no subcommand grade",
        "nbgrader has no subcommand relase_assignment",
        "nbgrader db assignment add has no option --due",
        "--preload handnet_grader.nowhere: no module handnet_grader.nowhere",
        "python -m: no module ['handnet_grader.nowhere']",
        "python: no script scripts/nowhere.py in the repository",
        "no file or folder scripts/nowhere.py in the repository",
        "frobnicate: neither a command this test checks nor in SYSTEM",
        "handnet summary has no option --plot",
    ]
    assert sorted(p.split("`: ", 1)[1] for p in found) == sorted(expected)
    assert link_problems(doc) == [
        "planted.md:16: #no-such-heading: no heading #no-such-heading in planted.md",
        "planted.md:17: docs/gone.md: no file docs/gone.md",
    ]
