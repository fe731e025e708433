"""Fixtures of the browser tests: Debian's headless Chromium driven by Playwright, and
JupyterLab servers started for one test (labserver.py).

Chromium is ``/usr/bin/chromium`` (``make browser`` installs it; ``playwright install``
would download a browser of its own, which cannot work offline). Where it is missing the
tests are skipped, saying why, unless ``HANDNET_REQUIRE_BROWSER=1`` makes that a failure.
When a test fails, a screenshot, the HTML of the page and of its frames, and the logs of
its JupyterLab servers are saved in ``.browser-artifacts/<test>/``; the failure report
names that folder.
"""

import re
import shutil
from pathlib import Path

import pytest
from courseserver import course_server
from labserver import REPO, missing, start_lab, stop_lab

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = REPO / ".browser-artifacts"

SERVERS = pytest.StashKey[list]()


@pytest.fixture
def jupyter_lab(request, tmp_path):
    """A factory: ``jupyter_lab(jupyter, root, env, cwd=root)`` starts a JupyterLab server
    (labserver.start_lab) and stops it after the test. Its log is ``jupyter-lab-<n>.log``
    in the test's tmp_path."""
    servers = request.node.stash.setdefault(SERVERS, [])

    def start(jupyter, root, env, cwd=None):
        log = tmp_path / f"jupyter-lab-{len(servers)}.log"
        servers.append(start_lab(jupyter, root, cwd or root, env, log))
        return servers[-1]

    yield start
    for server in servers:
        stop_lab(server)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's), shared by the tests of one session."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page in a fresh browser context (no cookies or storage of other tests)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def save_artifacts(item):
    """Save the test's page (screenshot, HTML of the page and each frame) and its servers'
    logs in .browser-artifacts/<test name>/; return that folder."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", item.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    page = item.funcargs.get("page")
    if page is not None and not page.is_closed():
        page.screenshot(path=folder / "screenshot.png", full_page=True)
        for number, frame in enumerate(page.frames):
            name = "page.html" if frame == page.main_frame else f"frame-{number}.html"
            try:
                (folder / name).write_text(frame.content())
            except Exception as error:  # a frame navigating or gone
                (folder / name).write_text(f"<!-- could not read {frame.url}: {error} -->")
    for server in item.stash.get(SERVERS, []):
        shutil.copy(server.log, folder / server.log.name)
    return folder


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed test that used a page or a server, save the artifacts and name their
    folder in the report."""
    report = (yield).get_result()
    if (
        report.when == "call"
        and report.failed
        and ("page" in item.funcargs or item.stash.get(SERVERS, []))
    ):
        folder = save_artifacts(item)
        report.sections.append(
            ("browser artifacts", f"screenshot, page HTML and server logs in {folder}")
        )


@pytest.fixture(scope="session")
def course_hub():
    """The course server as docs/course-server.md's recipe makes it, running (courseserver.py),
    shared by test_hub.py and test_server_audit.py; stopped and removed at the end."""
    yield from course_server()
