"""Jupyter server settings of the formgrader service (jupyterhub_config.py): those of
every server the hub starts (user_server_config.py), and two more.

nbgrader's formgrader is shown inside JupyterLab in an iframe of the same server. JupyterHub
(4.1 and later) forbids every frame of a single-user server ("frame-ancestors 'none'"),
which leaves the formgrader blank; this server may be framed by its own origin's pages.
"""

import os

c = get_config()  # noqa: F821 (provided by Jupyter)
load_subconfig(os.path.join(os.path.dirname(__file__), "user_server_config.py"))  # noqa: F821

c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}

# While grading runs, SQLite's journal beside the gradebook comes and goes with each write.
# jupyter_server lists a folder, then reads each file: one that vanished in between makes
# the whole listing of the course folder a 404, and JupyterLab's file browser, refreshing,
# opens a "Directory not found" dialog over the page. The journal is not listed.
c.ContentsManager.hide_globs = [
    *("__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~"),  # jupyter_server's own
    *("*.db-journal", "*.db-wal", "*.db-shm"),
]
