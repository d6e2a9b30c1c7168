"""The errors every stage shares: a problem in one input file (:class:`RecordError`) and the
exception that carries all of a run's (:class:`RecordsInvalid`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RecordError:
    """One problem in one input file."""

    path: Path
    field: str  # dotted path inside the file, '' for the whole file
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class RecordsInvalid(Exception):
    """Raised when input files have errors; carries every :class:`RecordError`."""

    def __init__(self, errors: list[RecordError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
