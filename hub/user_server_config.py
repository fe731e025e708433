"""Jupyter server settings of every JupyterLab the hub starts (jupyterhub_config.py): the
students' and instructors' own servers, and the formgrader service.

A server started by JupyterHub opens its terminals with a login shell, which takes PATH
from /etc/profile: the environment's tools (``nbgrader`` for students, ``handnet`` and
``nbgrader`` for instructors), first on the PATH the hub gave the server, would then be
missing. Terminals here run the account's shell as an ordinary shell, with that PATH.
"""

import os

c = get_config()  # noqa: F821 (provided by Jupyter)

c.ServerApp.terminado_settings = {"shell_command": [os.environ.get("SHELL") or "/bin/sh"]}
