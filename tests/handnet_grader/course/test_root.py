"""Finding the course from anywhere inside it."""

import pytest

from handnet_grader.course.root import CourseNotFound, assignments, course_root, python_first_path


def test_course_root_is_found_from_a_subfolder(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("")
    deep = tmp_path / "source" / "a1" / "sub"
    deep.mkdir(parents=True)
    assert course_root(deep) == tmp_path


def test_outside_a_course_the_error_says_what_to_do(tmp_path):
    with pytest.raises(CourseNotFound, match="inside the course"):
        course_root(tmp_path)


def test_assignments_are_source_folders_holding_a_notebook(tmp_path):
    for name, nb in (("b2", True), ("a1", True), ("notes", False)):
        (tmp_path / "source" / name).mkdir(parents=True)
        if nb:
            (tmp_path / "source" / name / f"{name}.ipynb").write_text("{}")
    assert assignments(tmp_path) == ["a1", "b2"]


def test_python_first_path_puts_this_pythons_folder_first_once():
    """Is this Python's bin added in front, not again when it is already first?"""
    import os
    import sys

    bin_dir = os.path.dirname(sys.executable)
    assert python_first_path("/usr/bin:/bin") == f"{bin_dir}:/usr/bin:/bin"
    assert python_first_path(f"{bin_dir}:/usr/bin") == f"{bin_dir}:/usr/bin"
    assert python_first_path("") == bin_dir
