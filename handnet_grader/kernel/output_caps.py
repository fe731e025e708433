"""Caps on a graded notebook's output: while a cell runs (``LiveOutputCap``) and in the
notebook kept (``CapOutputSize``).

nbclient keeps every output message a cell sends: a cell printing in a loop can fill the
grader's memory before the cell ends. ``LiveOutputCap`` counts each cell's output bytes
(stream text and display data) as they arrive; past ``live_output_bytes`` stream text is
cut and other output dropped, and ``live_output_dropped(index)`` says how many bytes a
cell lost.

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
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
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


class LiveOutputCap(Execute):
    """Execute, dropping a cell's output past ``live_output_bytes`` as it arrives."""

    live_output_bytes = Integer(
        20_000_000,
        help="Output bytes a cell may send while it runs; the rest is dropped as "
        "it arrives, so a flood cannot fill the grader's memory (CapOutputSize then cuts "
        "what is kept to its own, smaller limits)",
    ).tag(config=True)

    def reset_live_output(self) -> None:
        """Start counting afresh (a new notebook)."""
        self._live_bytes, self._live_dropped = {}, {}

    def live_output_dropped(self, cell_index: int) -> int:
        """Bytes of the cell's output dropped as they arrived (0 if none)."""
        return getattr(self, "_live_dropped", {}).get(cell_index, 0)

    def output(
        self, outs: list[NotebookNode], msg: dict, display_id: str | None, cell_index: int
    ) -> NotebookNode | None:
        """nbclient's output handling, with a running count of each cell's output bytes."""
        if not hasattr(self, "_live_bytes"):
            self.reset_live_output()
        content = msg.get("content") or {}
        size = len(content.get("text") or "") + sum(
            len(str(v)) for v in (content.get("data") or {}).values()
        )
        left = self.live_output_bytes - self._live_bytes.get(cell_index, 0)
        if size > left:
            self._live_dropped[cell_index] = (
                self._live_dropped.get(cell_index, 0) + size - max(left, 0)
            )
            self._live_bytes[cell_index] = self.live_output_bytes
            if msg.get("msg_type") != "stream" or left <= 0:
                return None
            msg = dict(msg, content=dict(content, text=content["text"][:left]))
        else:
            self._live_bytes[cell_index] = self._live_bytes.get(cell_index, 0) + size
        return super().output(outs, msg, display_id, cell_index)
