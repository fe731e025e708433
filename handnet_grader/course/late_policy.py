"""The course's late-submission policy, as an nbgrader late-submission plugin.

A submission later than its due date (nbgrader's gradebook: ``nbgrader db assignment add
NAME --duedate=...``, or the formgrader's Manage Assignments) loses ``percent_per_day`` of
the points it earned for every day or part of a day it is late, after ``grace_minutes``;
it never goes below 0. With the defaults: 5 minutes late costs nothing, 1 hour late 10%,
a day and a minute 20%, ten days or more everything. The submission time is the one
``handnet_grader.course.collect.CheckedCollect`` vouched for.
"""

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

DAY = 24 * 60 * 60


class PercentPerDay(LateSubmissionPlugin):
    """``percent_per_day`` of the score per started day late, after a grace period."""

    percent_per_day = Float(
        10.0, help="Percent of the earned points lost per started day late"
    ).tag(config=True)
    grace_minutes = Float(15.0, help="Minutes after the due date that cost nothing").tag(
        config=True
    )

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float:
        """The points to take off ``score`` (0 when on time or within the grace period)."""
        if total_seconds_late <= self.grace_minutes * 60:
            return 0.0
        days = math.ceil(total_seconds_late / DAY)
        penalty = min(score, score * self.percent_per_day / 100 * days)
        self.log.warning(
            "%s is %.1f h late: %d day(s), %g of %g points taken off",
            student_id,
            total_seconds_late / 3600,
            days,
            penalty,
            score,
        )
        return penalty
