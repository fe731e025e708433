"""nbgrader's Execute with a cap on the output a cell sends while it runs.

nbclient keeps every output message a cell sends: a cell printing in a loop can fill the
grader's memory before the cell ends and ``CapOutputSize`` (``outputs.py``) cuts what is
kept. ``LiveOutputCap`` counts each cell's output bytes (stream text and display data)
as they arrive; past ``live_output_bytes`` stream text is cut and other output dropped,
and ``live_output_dropped(index)`` says how many bytes a cell lost.
"""

from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer


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
