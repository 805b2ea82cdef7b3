"""Download of the standard dataset files, with checksum verification.

Each file is streamed into a temporary file in the destination folder, its MD5 is
checked against the known value, and only then is it renamed (atomically) to its
final name. A mismatch deletes the temporary file and raises :class:`ChecksumError`.

The base URL of every dataset can be replaced by a mirror: pass ``mirror=`` or set
the environment variable ``QUBOQUANT_MIRROR``. A mirror is a base URL under which
the files are found by their standard names; ``{name}`` in it is replaced by the
dataset name (e.g. ``http://host/data/{name}/``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

__all__ = [
    "ChecksumError",
    "BASE_URLS",
    "FILES",
    "MIRROR_ENV",
    "DEFAULT_TIMEOUT",
    "base_url",
    "file_md5",
    "download_file",
    "download_dataset_files",
]

MIRROR_ENV = "QUBOQUANT_MIRROR"
DEFAULT_TIMEOUT = 60.0
_CHUNK = 1 << 20

#: Canonical base URLs (the file names in :data:`FILES` are appended).
BASE_URLS: dict[str, str] = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "emnist": "https://biometrics.nist.gov/cs_links/EMNIST/",
    "cifar10": "https://www.cs.toronto.edu/~kriz/",
}

#: File name -> MD5 of the canonical distribution file, per dataset.
FILES: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaceb8f6e8de2a6e0f5b2b",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    "emnist": {"gzip.zip": "58c8d27c78d21e728a6bc7b3cc06412e"},
    "cifar10": {"cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a"},
}


class ChecksumError(ValueError):
    """A downloaded file does not have the expected checksum."""


def base_url(name: str, mirror: str | None = None) -> str:
    """Base URL for dataset ``name``: ``mirror``, else ``$QUBOQUANT_MIRROR``, else canonical.

    ``{name}`` inside a mirror is replaced by the dataset name; a trailing ``/`` is ensured.
    """
    url = mirror or os.environ.get(MIRROR_ENV) or BASE_URLS[name]
    url = url.replace("{name}", name)
    return url if url.endswith("/") else url + "/"


def file_md5(path: str | os.PathLike[str]) -> str:
    """Hex MD5 of a file, read in chunks."""
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    md5: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Download ``url`` to ``dest``, verifying its MD5; returns ``dest``.

    The data goes to a temporary file next to ``dest`` that is renamed into place
    only after the checksum matched. On any failure the temporary file is removed;
    a wrong checksum raises :class:`ChecksumError`, network problems raise
    ``urllib.error.URLError`` / ``OSError``.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        h = hashlib.md5(usedforsecurity=False)
        req = urllib.request.Request(url, headers={"User-Agent": "quboquant"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=timeout) as resp:
            while chunk := resp.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
        got = h.hexdigest()
        if got != md5.lower():
            raise ChecksumError(
                f"checksum mismatch for {url}: MD5 {got}, expected {md5.lower()}; "
                f"the download was discarded (nothing written to {dest})"
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def download_dataset_files(
    name: str,
    folder: str | os.PathLike[str],
    *,
    mirror: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Path]:
    """Download the standard files of dataset ``name`` into ``folder`` (see :data:`FILES`).

    Files already present with the right MD5 are not downloaded again; present files
    with a wrong MD5 are replaced. Returns the paths of all the dataset's files.
    """
    if name not in FILES:
        raise ValueError(f"no download known for dataset {name!r}")
    folder = Path(folder)
    base = base_url(name, mirror)
    paths = []
    for fname, md5 in FILES[name].items():
        dest = folder / fname
        if not (dest.is_file() and file_md5(dest) == md5):
            download_file(base + fname, dest, md5, timeout=timeout)
        paths.append(dest)
    return paths
