"""Reading and writing the IDX format, and refusing damaged IDX files."""

import gzip

import numpy as np
import pytest

from handnet.mnist import MnistFormatError
from handnet.mnist.idx import idx_bytes, read_idx, write_idx

IMAGES = np.arange(3 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28)
LABELS = np.array([7, 2, 1], dtype=np.uint8)


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
@pytest.mark.parametrize("array", [IMAGES, LABELS], ids=["images", "labels"])
def test_written_arrays_read_back_identical(tmp_path, name, array):
    """Does an array written as IDX, raw or gzipped, read back with the same shape,
    dtype and values?"""
    path = tmp_path / name
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, array)


def test_header_follows_the_mnist_layout():
    """Do written files carry MNIST's magic numbers (0x00000803 for images, 0x00000801
    for labels) and big-endian sizes?"""
    assert idx_bytes(IMAGES)[:16] == bytes.fromhex("00000803000000030000001c0000001c")
    assert idx_bytes(LABELS)[:8] == bytes.fromhex("0000080100000003")


def test_gzip_is_recognised_by_content_not_by_name(tmp_path):
    """Is a gzipped IDX file read correctly even when its name lacks .gz, and a raw one
    when its name has it?"""
    gzipped, raw = tmp_path / "labels-idx1-ubyte", tmp_path / "labels-idx1-ubyte.gz"
    gzipped.write_bytes(gzip.compress(idx_bytes(LABELS)))
    raw.write_bytes(idx_bytes(LABELS))
    np.testing.assert_array_equal(read_idx(gzipped), LABELS)
    np.testing.assert_array_equal(read_idx(raw), LABELS)


def test_gzipped_files_are_reproducible(tmp_path):
    """Do equal arrays give byte-identical .gz files (no time stamp in the gzip header)?"""
    write_idx(tmp_path / "a.gz", IMAGES)
    write_idx(tmp_path / "b.gz", IMAGES)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_only_uint8_arrays_are_written(tmp_path):
    """Is writing a non-uint8 array refused rather than silently converted?"""
    with pytest.raises(TypeError, match="uint8"):
        write_idx(tmp_path / "x", LABELS.astype(np.int64))


def test_wrong_magic_number_is_refused(tmp_path):
    """Is a file that does not start with an IDX magic number (here an HTML page) refused,
    naming the file and the bytes found?"""
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(b"<html><body>Not Found</body></html>")
    with pytest.raises(MnistFormatError, match="magic number") as error:
        read_idx(path)
    assert str(path) in str(error.value)
    assert "3c68746d" in str(error.value)  # "<htm", the bytes found


def test_unsupported_element_type_is_refused(tmp_path):
    """Is an IDX file of another element type than unsigned byte refused?"""
    path = tmp_path / "floats-idx1"
    path.write_bytes(bytes.fromhex("00000d0100000001") + b"\0\0\0\0")
    with pytest.raises(MnistFormatError, match="0x0d"):
        read_idx(path)


def test_wrong_number_of_dimensions_is_refused(tmp_path):
    """Is a label file (1 dimension) refused where images (3 dimensions) are expected,
    the message giving both?"""
    path = tmp_path / "t10k-images-idx3-ubyte"
    write_idx(path, LABELS)
    with pytest.raises(MnistFormatError, match=r"expected an IDX file of 3 dimension.*found 1"):
        read_idx(path, ndim=3)


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda data: data[:-1], "truncated"),
        (lambda data: data + b"\0", "longer than its header says"),
    ],
    ids=["truncated", "over-long"],
)
def test_payload_of_the_wrong_length_is_refused(tmp_path, change, problem):
    """Is a file whose payload is shorter or longer than its header announces refused,
    with the expected and actual byte counts?"""
    path = tmp_path / "t10k-images-idx3-ubyte"
    data = change(idx_bytes(IMAGES))
    path.write_bytes(data)
    expected = len(idx_bytes(IMAGES))
    with pytest.raises(MnistFormatError, match=problem) as error:
        read_idx(path)
    message = str(error.value)
    assert str(path) in message
    assert f"should hold {expected} bytes; it holds {len(data)}" in message


def test_header_cut_short_is_refused(tmp_path):
    """Is a file that ends inside its header refused as truncated?"""
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(IMAGES)[:10])
    with pytest.raises(MnistFormatError, match="truncated"):
        read_idx(path)


def test_truncated_gzip_is_refused(tmp_path):
    """Is a gzip file cut short refused as a format error naming the file (not an
    EOFError from deep inside gzip)?"""
    path = tmp_path / "train-images-idx3-ubyte.gz"
    compressed = gzip.compress(idx_bytes(IMAGES))
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(MnistFormatError, match="gzip") as error:
        read_idx(path)
    assert str(path) in str(error.value)
