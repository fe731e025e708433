"""The grading service (grade on submit): the durable queue of received submissions
(``queue``), kept in the gradebook's database so that a restarted service loses nothing,
and the receipts waiting graded by the one driver (``grading``).

May import ``course`` and ``run``."""
