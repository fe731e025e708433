"""CapOutputSize: output is capped by bytes, errors survive."""

import nbformat

from handnet_grader.kernel.output_caps import CapOutputSize


def cell(*outputs):
    c = nbformat.v4.new_code_cell("x")
    c.outputs = [nbformat.from_dict(o) for o in outputs]
    return c


def test_one_huge_line_is_cut_to_the_cell_limit_with_a_note():
    """A 20 MB print becomes at most the cell limit plus a note of what was dropped."""
    nb = nbformat.v4.new_notebook(
        cells=[cell({"output_type": "stream", "name": "stdout", "text": "x" * 20_000_000})]
    )
    nb, _ = CapOutputSize(max_cell_bytes=1000).preprocess(nb, {})
    text = nb.cells[0].outputs[0].text
    assert len(text) < 1100 and "output cut: 19,999,000 more bytes" in text
    (event,) = nb.metadata["handnet"]["events"]
    assert event["cell"] == 0 and event["message"].startswith("output cut:")


def test_the_notebook_limit_applies_across_cells_and_keeps_errors():
    """Once the notebook's budget is spent, later text is cut but an error output stays."""
    big = {"output_type": "stream", "name": "stdout", "text": "y" * 5000}
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "no", "traceback": ["t"]}
    nb = nbformat.v4.new_notebook(cells=[cell(big), cell(big, error)])
    nb, _ = CapOutputSize(max_cell_bytes=10_000, max_notebook_bytes=6000).preprocess(nb, {})
    assert len(nb.cells[0].outputs[0].text) == 5000
    assert len(nb.cells[1].outputs[0].text) < 1100
    assert nb.cells[1].outputs[1].ename == "AssertionError"
    assert [e["cell"] for e in nb.metadata["handnet"]["events"]] == [1]


def test_an_oversized_image_is_replaced_by_a_note():
    """Rich output that does not fit is dropped, saying how big it was."""
    image = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * 50_000}}
    nb = nbformat.v4.new_notebook(cells=[cell(image)])
    nb, _ = CapOutputSize(max_cell_bytes=1000).preprocess(nb, {})
    assert "over the limit" in nb.cells[0].outputs[0].text
