"""Driving JupyterLab 4 in a Playwright page the way a student does: open a notebook,
replace a cell's text, Run All, read outputs, press nbgrader's Validate.

Facts this relies on (measured with JupyterLab 4.6 and Chromium): the toolbar's kernel
attribute says idle while the status bar still reads "Connecting", so the status bar is
what to wait for; ``innerText`` misses cells scrolled out of view, ``textContent`` does
not. (labserver.make_home keeps JupyterLab's news toast away.)
"""

import json

KERNEL_TIMEOUT = 120_000  # ms: a kernel to start, cells to run
VALIDATE_TIMEOUT = 300_000  # ms: nbgrader runs the whole notebook in a fresh kernel

CELLS = ".jp-Notebook .jp-Cell"
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'

# The status bar's kernel item reads "Python 3 (ipykernel) | Idle" when the kernel is idle.
KERNEL_IDLE = """() => [...document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')]
    .some(item => item.textContent.trim().endsWith('| Idle'))"""

# Run All is over when no cell waits or runs ("[*]:") and the first code cell has run.
RUN_ALL_DONE = """() => {
    const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
        .map(prompt => prompt.textContent.trim());
    return prompts.length > 0 && /^\\[\\d+\\]:$/.test(prompts[0])
        && !prompts.some(prompt => prompt.includes('*'));
}"""


def open_notebook(page, server, path):
    """Open the notebook ``path`` (relative to the server's root) in JupyterLab and wait
    until its kernel is idle."""
    page.goto(server.address(f"/lab/tree/{path}"))
    page.locator(CELLS).first.wait_for()
    wait_for_idle_kernel(page)


def wait_for_idle_kernel(page):
    page.wait_for_function(KERNEL_IDLE, timeout=KERNEL_TIMEOUT)


def cell(page, index):
    """The cell at ``index`` (0-based, as in the .ipynb file)."""
    return page.locator(CELLS).nth(index)


def cell_text(page, index):
    """The text in the cell's editor, line by line as CodeMirror shows it."""
    return "\n".join(cell(page, index).locator(".cm-line").all_text_contents())


def replace_cell_text(page, index, text):
    """Select all of the cell's text in its editor and type ``text`` in its place."""
    editor = cell(page, index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)
    page.keyboard.press("Escape")  # back to command mode


def run_all(page):
    """Run → Run All Cells, then wait until every cell that runs has run."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(RUN_ALL_DONE, timeout=KERNEL_TIMEOUT)
    wait_for_idle_kernel(page)


def output_text(page, index):
    """All output of the cell at ``index`` as text (textContent: also off screen)."""
    return cell(page, index).locator(".jp-OutputArea").text_content()


def error_outputs(page):
    """The text of every error or stderr output in the notebook."""
    return page.locator(ERROR_OUTPUT).all_text_contents()


def validate(page):
    """Press nbgrader's Validate button; the results dialog, once it has shown."""
    page.locator(".jp-NotebookPanel-toolbar .validate-button").click()
    message = page.locator(".jp-Dialog #validation-message")
    message.wait_for(timeout=VALIDATE_TIMEOUT)
    return message


def failed_cells(message):
    """(source, error) of each cell the validation dialog reports as failed, in order:
    the dialog shows each as a paragraph, then the cell's source and its error, each in a
    <pre>. (innerText here: the source's line breaks are <br> elements.)"""
    texts = message.locator("pre").all_inner_texts()
    return list(zip(texts[0::2], texts[1::2]))


def notebook_cells(path):
    """The cells of the .ipynb file at ``path``, each with its source as one string."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for one in cells:
        one["source"] = "".join(one["source"])
    return cells
