"""Cap a graded notebook's output by size.

nbgrader's ``LimitOutput`` counts lines only: one print of a 20 MB string passes it and
makes a 25 MB graded notebook and feedback page. ``CapOutputSize`` limits the bytes of
every cell's outputs and of the whole notebook; text beyond the limit is cut with a note
saying how much was dropped, and other output (images, HTML) that does not fit is
replaced by that note. Error outputs are kept (they decide the points), their traceback
cut like text. Each cut is noted in the notebook's ``handnet`` metadata (as an event of
the cell), so the grading record and the summary show it.
"""

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer


def _size(output):
    if output.get("output_type") == "stream":
        return len(output.get("text", "").encode())
    if output.get("output_type") == "error":
        return sum(len(line.encode()) for line in output.get("traceback", []))
    return sum(len(str(v).encode()) for v in output.get("data", {}).values())


def _cut(text, budget):
    data = text.encode()
    if len(data) <= budget:
        return text
    kept = data[: max(budget, 0)].decode(errors="ignore")
    return kept + f"\n... [output cut: {len(data) - len(kept.encode()):,} more bytes]\n"


class CapOutputSize(NbGraderPreprocessor):
    """Limit the bytes of output per cell and per notebook."""

    max_cell_bytes = Integer(100_000, help="Most output bytes kept per cell").tag(config=True)
    max_notebook_bytes = Integer(2_000_000, help="Most output bytes kept per notebook").tag(
        config=True
    )

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        self._left = self.max_notebook_bytes
        self._cuts = []
        nb, resources = super().preprocess(nb, resources)
        if self._cuts:
            events = nb.metadata.setdefault("handnet", {}).setdefault("events", [])
            events += [
                {
                    "cell": i,
                    "status": "graded",
                    "message": f"output cut: {n:,} bytes dropped by the size limit",
                }
                for i, n in self._cuts
            ]
        return nb, resources

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type != "code":
            return cell, resources
        before = sum(_size(o) for o in cell.outputs)
        budget = min(self.max_cell_bytes, max(self._left, 0))
        kept = []
        for output in cell.outputs:
            size = _size(output)
            kind = output.get("output_type")
            if size <= budget:
                kept.append(output)
            elif kind == "stream":
                output.text = _cut(output.text, budget)
                kept.append(output)
            elif kind == "error":
                output.traceback = [_cut("\n".join(output.traceback), budget)]
                kept.append(output)
            else:
                kept.append(
                    NotebookNode(
                        output_type="stream",
                        name="stdout",
                        text=f"[output removed: {size:,} bytes is over the limit]\n",
                    )
                )
            budget -= min(size, budget)
        cell.outputs = kept
        after = sum(_size(o) for o in kept)
        if after < before:
            self._cuts.append((index, before - after))
        self._left -= after
        return cell, resources
