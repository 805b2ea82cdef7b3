"""Append-only JSON-lines store of finished experiment cells."""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple

KEY_FIELDS = ("dataset", "bits", "method", "seed", "scale", "granularity", "inputs", "calib_size")


class StoreWarning(UserWarning):
    """A line of a result store could not be read and was skipped."""


class CellKey(NamedTuple):
    """Identity of one experiment cell; records with equal keys replace each other."""

    dataset: str
    bits: int
    method: str
    seed: int
    scale: str
    granularity: str
    inputs: str
    calib_size: int | None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "CellKey":
        """Build the key of ``record``; raises KeyError if a key field is missing."""
        return cls(*(record[name] for name in KEY_FIELDS))


def _jsonable(obj: Any) -> Any:
    """``json.dumps`` fallback for numpy scalars/arrays, paths and tuples-like objects."""
    if hasattr(obj, "tolist"):  # numpy scalar or array, torch tensor
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


class ResultStore:
    """Records of finished cells, one JSON object per line, safe against being killed.

    Each ``append`` is a single ``os.write`` on an ``O_APPEND`` descriptor followed by
    ``fsync``, so an interrupted process leaves at most one truncated last line, which
    ``records`` skips with a :class:`StoreWarning`. If the file does not end in a newline
    the next record starts with one, so it is never glued onto such a fragment.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"

    def append(self, record: Mapping[str, Any]) -> None:
        """Durably append one record (a flat JSON-able mapping holding every key field)."""
        missing = [name for name in KEY_FIELDS if name not in record]
        if missing:
            raise ValueError(f"record lacks key fields {missing}")
        line = json.dumps(dict(record), default=_jsonable, separators=(",", ":")).encode() + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            written = os.write(fd, line)
            while written < len(line):  # regular files practically never write short
                written += os.write(fd, line[written:])
            os.fsync(fd)
        finally:
            os.close(fd)

    def extend(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Append several records, one durable write each."""
        for record in records:
            self.append(record)

    def records(self) -> list[dict[str, Any]]:
        """All readable records, the last one of each duplicated key, in file order of last write."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        lines = data.split(b"\n")
        latest: dict[CellKey, dict[str, Any]] = {}
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                key = CellKey.from_record(record)
                hash(key)
            except (ValueError, KeyError, TypeError) as exc:
                where = "truncated last line" if number == len(lines) else f"corrupt line {number}"
                warnings.warn(f"{self.path}: skipping {where} ({exc})", StoreWarning, stacklevel=2)
                continue
            latest.pop(key, None)
            latest[key] = record
        return list(latest.values())

    def done_keys(self) -> set[CellKey]:
        """Keys of every cell that has a readable record."""
        return {CellKey.from_record(r) for r in self.records()}
