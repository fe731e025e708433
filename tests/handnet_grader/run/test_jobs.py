"""A Dask worker's task, without a cluster: the driver's settings inside a task, and
the files of a bundle kept inside their folder."""

import os

import pytest

from handnet_grader.run.jobs import task_environment, write_files


def test_a_task_grades_with_the_drivers_settings_and_leaves_the_worker_as_it_was(
    monkeypatch, tmp_path
):
    """Inside a task: the driver's check seed and timeouts (unset where the driver had
    none), no shared gradebook URL; afterwards the worker's own environment and folder."""
    monkeypatch.setenv("HANDNET_CHECK_SEED", "1")
    monkeypatch.setenv("HANDNET_DB_URL", "postgresql+psycopg://grader@db/course")
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)
    with task_environment({"HANDNET_CHECK_SEED": None, "HANDNET_CELL_TIMEOUT": "7"}):
        os.chdir("/")
        assert "HANDNET_CHECK_SEED" not in os.environ and "HANDNET_DB_URL" not in os.environ
        assert os.environ["HANDNET_CELL_TIMEOUT"] == "7"
    assert dict(os.environ) == before and os.getcwd() == str(tmp_path)


def test_a_bundle_cannot_write_outside_its_folder(tmp_path):
    """Is a file name that climbs out of the submission's folder refused, nothing written?"""
    with pytest.raises(ValueError, match="not a path inside"):
        write_files(tmp_path / "sub", {"../escape.txt": b"x"})
    assert not (tmp_path / "escape.txt").exists()
