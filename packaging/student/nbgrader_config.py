"""nbgrader's configuration in the students' environment (installed by `make student-env`
into .venv-student/etc/jupyter/, where every nbgrader command and the JupyterLab
extensions read it, whatever folder the student works in).

It names the course and its exchange, submits privately (only the student and the
instructors can read a submission) and makes `nbgrader validate` show whole messages.
Under JupyterHub (the course's hub, hub/jupyterhub_config.py), the *Assignments* tab and
nbgrader's commands list and fetch the course's assignments only for members of its hub
groups (``nbgrader-handnet`` for students, ``formgrade-handnet`` for instructors).
"""

import os

from handnet import exchange
from handnet.validate import show_whole_messages

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = exchange.COURSE_ID
c.Exchange.root = exchange.exchange_root()
c.ExchangeFactory.submit = "handnet.exchange.PrivateSubmit"
c.CourseDirectory.max_file_size = exchange.MAX_FILE_KB
c.CourseDirectory.max_dir_size = exchange.MAX_SUBMISSION_KB

show_whole_messages()

# A server the hub spawned holds the user's hub token: ask the hub which courses the user
# is in (nbgrader's JupyterHubAuthPlugin). Outside a hub there is no one to ask, and every
# account on the machine sees the course.
if os.environ.get("JUPYTERHUB_API_TOKEN") and os.environ.get("JUPYTERHUB_USER"):
    c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
