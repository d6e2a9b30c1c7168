"""Curated records: one YAML file per project in ``data/projects/``, and the programme scheme.

Loading checks each file completely and reports every problem as
``file:line: field: message`` (:class:`RecordError`), so a curator can fix a record without
reading a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kg.model.errors import RecordError, RecordsInvalid
from kg.model.records import ProgrammeScheme, ProjectRecord

M = TypeVar("M", bound=BaseModel)


def _node_line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (or of its nearest existing ancestor)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    line = k.start_mark.line + 1
                    node = v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _field_name(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif isinstance(item, str) and not item.startswith(("function-", "constrained-")) and "[" not in item:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def load_model(path: Path, model: type[M]) -> M:
    """Parse one YAML file into ``model``; raise :class:`RecordsInvalid` naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecordsInvalid([RecordError(path, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise RecordsInvalid([RecordError(path, "", f"cannot read: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        return_line = mark.line + 1 if mark is not None else None
        raise RecordsInvalid([RecordError(path, "", f"malformed YAML: {problem}", return_line)]) from None
    if not isinstance(data, dict):
        raise RecordsInvalid([RecordError(path, "", "expected a mapping of fields (key: value) at the top level", 1)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            if err["type"] == "extra_forbidden":
                msg = "unknown field (not part of the record format; see src/kg/records.py)"
            errors.append(RecordError(path, _field_name(loc), msg, _node_line(node, loc)))
        raise RecordsInvalid(errors) from None


def project_files(projects_dir: Path) -> list[Path]:
    return sorted(p for p in Path(projects_dir).iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_projects(projects_dir: Path) -> list[tuple[Path, ProjectRecord]]:
    """Every curated record of a directory, or :class:`RecordsInvalid` with all errors of all files."""
    loaded: list[tuple[Path, ProjectRecord]] = []
    errors: list[RecordError] = []
    for path in project_files(projects_dir):
        try:
            loaded.append((path, load_model(path, ProjectRecord)))
        except RecordsInvalid as exc:
            errors.extend(exc.errors)
    seen: dict[str, Path] = {}
    for path, record in loaded:
        if record.id in seen:
            errors.append(RecordError(path, "id", f"id {record.id!r} is already used by {seen[record.id].name}"))
        seen[record.id] = path
    if errors:
        raise RecordsInvalid(errors)
    return loaded


def load_programme_scheme(path: Path) -> ProgrammeScheme:
    return load_model(path, ProgrammeScheme)
