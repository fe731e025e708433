"""The instructor's side of nbgrader's exchange: collect what each student really
submitted, and nothing that would stop the rest of the class.

nbgrader's ``collect`` trusts what it finds in ``inbound``, which every student may write
to: a folder named ``bob+01_neuron+<a later time>+x`` made by another account becomes
Bob's newest submission (nbgrader only warns that the owner differs), the time in the
name and in ``timestamp.txt`` is whatever the submitting process wrote, and one folder
over ``CourseDirectory.max_dir_size`` raises an error that ends the whole collection.
``CheckedCollect``:

- refuses a submission whose folder is not owned by the account named in it (with
  ``require_owner``; switch it off where every student runs as one Unix user), so a
  forged folder can neither replace nor hide a student's genuine submission;
- skips a submission with more than ``max_files`` files or over ``max_dir_size``, saying
  which and why, and collects the others;
- never lets a submission look earlier than it is: the time its files last changed
  (their ctime, which their owner cannot set back) bounds the time it claims, and
  ``timestamp.txt`` in ``submitted/`` is corrected when the claim is earlier, so the late
  penalty is computed from the truth.
"""

import datetime
import os
import pwd
from logging import Logger

from nbgrader.exchange.default import ExchangeCollect
from nbgrader.utils import parse_utc
from traitlets import Bool, Integer

from handnet.exchange import MAX_FILES, files_in

EARLIEST = datetime.datetime.min


def owner_name(path: str) -> str:
    """The account that owns ``path`` (its uid if no account has it)."""
    uid = os.stat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def last_change(folder: str) -> datetime.datetime:
    """The latest ctime (UTC, naive, as nbgrader's timestamps) of ``folder`` and
    everything in it: a time the files' owner cannot set back."""
    times = [os.stat(folder).st_ctime]
    for root, dirs, files in os.walk(folder):
        times += [os.lstat(os.path.join(root, name)).st_ctime for name in dirs + files]
    return datetime.datetime.fromtimestamp(max(times), datetime.UTC).replace(tzinfo=None)


class CheckedCollect(ExchangeCollect):
    """nbgrader's collect, refusing forged submissions and surviving oversized ones."""

    require_owner = Bool(
        True,
        help="Refuse a submission whose folder is not owned by the account it is submitted for",
    ).tag(config=True)
    max_files = Integer(MAX_FILES, help="Most files a collected submission may hold").tag(
        config=True
    )
    clock_tolerance = Integer(
        120,
        help="Seconds a submission's claimed time may lie before "
        "its files' last change before it is corrected",
    ).tag(config=True)

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        owner = owner_name(path)
        if self.require_owner and owner != record["username"]:
            self.log.error(
                "Refused %s: it claims to be %s's but belongs to the account %s",
                record["filename"],
                record["username"],
                owner,
            )
            # sorts before any genuine submission, and is dropped in init_src
            record.update(timestamp=EARLIEST, forged_by=owner)
        return record

    def init_src(self) -> None:
        super().init_src()
        self.src_records = [r for r in self.src_records if "forged_by" not in r]

    def do_copy(self, src: str, dest: str, log: Logger | None = None) -> None:
        files = files_in(src)
        total, limit = sum(size for _, size in files), 1000 * self.coursedir.max_dir_size
        name = os.path.basename(src)
        if len(files) > self.max_files:
            self.log.error(
                "Not collected: %s holds %d files (at most %d are collected)",
                name,
                len(files),
                self.max_files,
            )
            return
        if total > limit:
            self.log.error(
                "Not collected: %s holds %.1f MB (at most %.1f MB are collected)",
                name,
                total / 1e6,
                limit / 1e6,
            )
            return
        super().do_copy(src, dest, log)
        self._bound_claimed_time(src, dest)

    def _bound_claimed_time(self, src, dest):
        stamp = os.path.join(dest, "timestamp.txt")
        changed = last_change(src)
        try:
            with open(stamp) as f:
                claimed = parse_utc(f.read().strip())
        except (OSError, ValueError):
            claimed = None
        if claimed is not None and claimed.tzinfo is not None:
            claimed = claimed.astimezone(datetime.UTC).replace(tzinfo=None)
        if claimed is None or (changed - claimed).total_seconds() > self.clock_tolerance:
            self.log.warning(
                "%s claims to be submitted at %s but its files last changed at "
                "%s: the later time is used",
                os.path.basename(src),
                claimed,
                changed,
            )
            with open(stamp, "w") as f:
                f.write(changed.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
