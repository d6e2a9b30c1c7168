"""The errors every stage shares: a problem in one input file (:class:`RecordError`) and the
exception that carries all of a run's (:class:`RecordsInvalid`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RecordError:
    """One problem in one input file: ``file:line:column: field: message`` (line and column 1-based,
    of the offending value, when known)."""

    path: Path
    field: str  # dotted path inside the file, '' for the whole file
    message: str
    line: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        """``file:line:column`` (``file:line`` or ``file`` when less is known)."""
        if not self.line:
            return str(self.path)
        return f"{self.path}:{self.line}:{self.column}" if self.column else f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}" if self.field else f"{self.where}: {self.message}"


class RecordsInvalid(Exception):
    """Raised when input files have errors; carries every :class:`RecordError`."""

    def __init__(self, errors: list[RecordError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
