"""Downloads from a local HTTP server: verified, atomic, falling back across mirrors, and
leaving nothing behind when they fail."""

import gzip
import http.server
import os
import threading

import numpy as np
import pytest

from handnet.mnist import MnistDownloadError
from handnet.mnist.download import download_file, download_mnist
from handnet.mnist.loader import _load_idx_folder

NAME = "train-labels-idx1-ubyte"


class _MirrorHandler(http.server.BaseHTTPRequestHandler):
    """Serves /<behaviour>/<file>: "good" serves the file, "corrupt" a well-formed gzip of
    other bytes, "interrupted" half the body under the full Content-Length, "missing" 404.
    Every path asked for is added to the server's ``requests``."""

    def do_GET(self):
        self.server.requests.append(self.path)
        behaviour, _, name = self.path.strip("/").partition("/")
        body = self.server.files.get(name)
        if body is None or behaviour == "missing":
            self.send_error(404)
            return
        if behaviour == "corrupt":
            body = gzip.compress(gzip.decompress(body)[::-1])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if behaviour == "interrupted" else body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(small_mnist, monkeypatch):
    """A local server holding the small set's gzipped files, with no proxy in between."""
    for variable in list(os.environ):
        if variable.lower().endswith("_proxy"):
            monkeypatch.delenv(variable)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _MirrorHandler)
    server.files = small_mnist.gzipped()
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def mirror(server):
    """The base URL of the local server."""
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def folder(tmp_path):
    """A download folder already holding an unrelated file, which must survive."""
    (tmp_path / "notes.txt").write_text("mine")
    return tmp_path


def fetch(folder, small_mnist, mirrors):
    """download_file of the training labels from ``mirrors``, tried in order."""
    expected = small_mnist.checksums()[NAME]
    return download_file(
        [f"{m}/{NAME}.gz" for m in mirrors],
        folder / f"{NAME}.gz",
        sha256=expected.sha256,
        size=expected.size,
        timeout=5,
    )


def test_download_mnist_fetches_verifies_and_loads(mirror, folder, small_mnist, capsys):
    """Does download_mnist fetch the four gzipped files into place, leaving no temporary
    files, so that they load as the data served, and report progress per file?"""
    download_mnist(folder, mirrors=[f"{mirror}/good/"], files=small_mnist.checksums(), timeout=5)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*small_mnist.gzipped(), "notes.txt"])
    (X, y), _, _ = _load_idx_folder(folder, checksums=small_mnist.checksums())
    np.testing.assert_array_equal(y, small_mnist.arrays[NAME][:100])
    assert capsys.readouterr().out.count("verified, from") == 4
    umask = os.umask(0)
    os.umask(umask)
    assert {p.stat().st_mode & 0o777 for p in folder.glob("*.gz")} == {0o666 & ~umask}


def test_verified_files_already_there_are_kept(server, mirror, folder, small_mnist, capsys):
    """Does download_mnist leave the files already there that verify untouched, and ask the
    mirror only for the one that does not?"""
    small_mnist.write(folder)
    damaged = folder / f"{NAME}.gz"
    damaged.write_bytes(gzip.compress(b"not the labels"))
    verified = [p for p in folder.glob("*.gz") if p != damaged]
    for path in verified:
        os.utime(path, ns=(10**18, 10**18))  # a rewrite, even in place, would change this
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in verified}
    download_mnist(folder, mirrors=[f"{mirror}/good/"], files=small_mnist.checksums(), timeout=5)
    assert server.requests == [f"/good/{NAME}.gz"]
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in verified} == stamps
    assert gzip.decompress(damaged.read_bytes()) == small_mnist.raw[NAME]
    assert capsys.readouterr().out.count("verified, from") == 1


def test_corrupt_response_is_refused_and_leaves_nothing(mirror, folder, small_mnist):
    """Is a response with the wrong content refused on its checksum, leaving the folder
    as it was?"""
    before = sorted(folder.iterdir())
    with pytest.raises(MnistDownloadError, match="SHA-256"):
        fetch(folder, small_mnist, [f"{mirror}/corrupt"])
    assert sorted(folder.iterdir()) == before


def test_interrupted_response_is_refused_and_leaves_nothing(mirror, folder, small_mnist):
    """Is a body cut short of its Content-Length refused, leaving no partial file?"""
    before = sorted(folder.iterdir())
    with pytest.raises(MnistDownloadError, match="connection ended after"):
        fetch(folder, small_mnist, [f"{mirror}/interrupted"])
    assert sorted(folder.iterdir()) == before


def test_failed_download_keeps_the_previous_file(mirror, folder, small_mnist):
    """Does a failed download leave an existing file at the destination untouched?"""
    dest = folder / f"{NAME}.gz"
    dest.write_bytes(b"old")
    with pytest.raises(MnistDownloadError):
        fetch(folder, small_mnist, [f"{mirror}/corrupt"])
    assert dest.read_bytes() == b"old"


def test_next_mirror_is_tried_after_a_404(mirror, folder, small_mnist):
    """After a 404 on the first mirror, is the file fetched from the second?"""
    url = fetch(folder, small_mnist, [f"{mirror}/missing", f"{mirror}/good"])
    assert url == f"{mirror}/good/{NAME}.gz"
    assert gzip.decompress((folder / f"{NAME}.gz").read_bytes()) == small_mnist.raw[NAME]


def test_error_lists_every_failed_url(mirror, folder, small_mnist):
    """When every mirror fails (404, wrong content, cut-off body, connection refused), does
    the error list each URL with what went wrong, and leave the folder as it was?"""
    before = sorted(folder.iterdir())
    mirrors = [
        f"{mirror}/missing",
        f"{mirror}/corrupt",
        f"{mirror}/interrupted",
        f"http://127.0.0.1:{_closed_port()}/good",
    ]
    with pytest.raises(MnistDownloadError) as error:
        fetch(folder, small_mnist, mirrors)
    lines = str(error.value).splitlines()
    for base, what in zip(mirrors, ["404", "SHA-256", "connection ended", "refused"]):
        line = next(line for line in lines if line.strip().startswith(f"{base}/{NAME}.gz:"))
        assert what in line
    assert sorted(folder.iterdir()) == before


def _closed_port():
    """A local port with nothing listening on it."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return port
