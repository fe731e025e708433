"""handnet_grader.trust.integrity: what the scan of a submission's code flags, and what it must not."""

from pathlib import Path

import nbformat
import pytest

from handnet_grader.notebook.exercises import solutions
from handnet_grader.trust.integrity import scan_notebook, scan_source

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "line, what",
    [
        ("data = open('../../../gradebook.db', 'rb').read()", "the gradebook"),
        ("from handnet_ref.network import Network", "the reference package"),
        ("import handnet.probe as p", "the grading protocol"),
        ("from handnet.wire import encode", "the grading protocol"),
        ("seed = os.environ['HANDNET_CHECK_SEED']", "the grading protocol"),
        ("os.listdir('../../../source/')", "the course folders"),
        ("os.listdir('../../autograded/')", "the course folders"),
        ("np.allclose = lambda *a, **k: True", "NumPy's functions (replaced)"),
        ("numpy.testing.assert_allclose = print", "NumPy's functions (replaced)"),
        ("sys.modules['x'] = fake", "Python's internals"),
        ("get_ipython().showtraceback = None", "Python's internals"),
        ("socket.create_connection(('1.1.1.1', 80))", "processes or the network"),
        ("os.fork()", "processes or the network"),
    ],
)
def test_a_line_that_reaches_out_is_flagged_with_what_it_reaches(line, what):
    assert scan_source("x = 1\n" + line) == [(2, what, line)]


@pytest.mark.parametrize(
    "line",
    [
        "assert np.allclose(a, b)",
        "if np.isclose(x, 0.5) == True: pass",
        "_mistake = _written_out()",
        "# np.allclose = cheating",
        "rng = np.random.default_rng(rng)",
        "net.weights = [w - eta * nw for w in net.weights]",
    ],
)
def test_ordinary_code_is_not_flagged(line):
    assert scan_source(line) == []


@pytest.mark.parametrize(
    "assignment", sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())
)
def test_the_release_and_the_reference_solutions_raise_nothing(assignment):
    (source,) = (ROOT / "source" / assignment).glob("*.ipynb")
    assert scan_notebook(ROOT / "release" / assignment / source.name) == []
    for code in solutions(nbformat.read(source, as_version=4)).values():
        assert scan_source(code) == []


def test_an_unreadable_notebook_has_no_findings(tmp_path):
    (tmp_path / "broken.ipynb").write_text("{ not json")
    assert scan_notebook(tmp_path / "broken.ipynb") == []
