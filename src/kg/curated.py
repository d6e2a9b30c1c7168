"""Curated records: one YAML file per project in ``data/projects/``, and the programme scheme.

Loading checks each file completely and reports every problem as
``file:line:column: field: message`` (:class:`RecordError`), so a curator can fix a record without
reading a traceback. The line and column are those of the offending value in the file (flow or
block style alike); a missing field is placed at the mapping that lacks it. A :class:`SourceMap`
given to the loaders keeps where every value of the loaded files is, so later stages (the mapping
of countries, SDGs, programmes) place their errors too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kg.model.errors import RecordError, RecordsInvalid
from kg.model.records import ProgrammeScheme, ProjectRecord

M = TypeVar("M", bound=BaseModel)

Position = tuple[int, int]  # 1-based line and column


def _position(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


_MAX_NODES = 1_000_000  # aliases of aliases can spell an exponential tree: index that much of it


def _index(node: yaml.Node | None) -> dict[str, tuple[Position, Position | None]]:
    """Field path (as errors name fields: ``countries[1]``, ``grant.number``) → (position of its value,
    position of its key when it is a mapping's value), for every node of a YAML document."""
    index: dict[str, tuple[Position, Position | None]] = {}
    if node is None:
        return index
    stack: list[tuple[yaml.Node, str, Position | None, frozenset[int]]] = [(node, "", None, frozenset())]
    while stack and len(index) < _MAX_NODES:
        item, field, key, above = stack.pop()
        index.setdefault(field, (_position(item), key))
        if id(item) in above:  # an alias of an enclosing node: a recursive structure
            continue
        inside = above | {id(item)}
        if isinstance(item, yaml.MappingNode):
            for k, v in item.value:
                if isinstance(k, yaml.ScalarNode):
                    stack.append((v, f"{field}.{k.value}" if field else str(k.value), _position(k), inside))
        elif isinstance(item, yaml.SequenceNode):
            for i, v in enumerate(item.value):
                stack.append((v, f"{field}[{i}]", None, inside))
    return index


def _parent(field: str) -> str:
    """``cities[0].country`` → ``cities[0]`` → ``cities`` → ``''`` (the document)."""
    return field[: max(field.rfind("."), field.rfind("["), 0)]


class SourceMap:
    """Where the values of loaded YAML files are: (file, field path) → (line, column), both 1-based.

    A field path is how a :class:`RecordError` names a field (``countries[1]``, ``grant.number``,
    ``cities[0].country``). A path the file does not hold (a missing field) is placed at its nearest
    ancestor that it holds: the mapping that lacks the field.
    """

    def __init__(self) -> None:
        self._files: dict[Path, dict[str, tuple[Position, Position | None]]] = {}

    def add(self, path: Path, node: yaml.Node | None) -> None:
        """Index the document ``node`` composed from the file ``path``."""
        self._files[Path(path).resolve()] = _index(node)

    def locate(self, path: Path, field: str, *, key: bool = False) -> Position | None:
        """The position of ``field``'s value in ``path`` (of its key with ``key``, for a field that
        should not be there); None for a file this map has not indexed."""
        index = self._files.get(Path(path).resolve())
        if index is None:
            return None
        while field not in index and field:
            field = _parent(field)
        if field not in index:
            return None
        value, key_position = index[field]
        return key_position if key and key_position else value

    def error(self, path: Path, field: str, message: str, *, key: bool = False) -> RecordError:
        """A :class:`RecordError` placed at the field's value (or key) when the file is indexed."""
        line, column = self.locate(path, field, key=key) or (None, None)
        return RecordError(path, field, message, line, column)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif isinstance(item, str) and not item.startswith(("function-", "constrained-")) and "[" not in item:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The YAML document's node tree and its Python value, from one parse."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def load_model(path: Path, model: type[M], *, source_map: SourceMap | None = None) -> M:
    """Parse one YAML file into ``model``; raise :class:`RecordsInvalid` naming file, line, column and
    field. With ``source_map``, the file's positions are kept there (for the errors of later stages)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecordsInvalid([RecordError(path, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise RecordsInvalid([RecordError(path, "", f"cannot read: {exc.strerror}")]) from None
    try:
        node, data = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise RecordsInvalid([RecordError(path, "", f"malformed YAML: {problem}", line, column)]) from None
    where = source_map if source_map is not None else SourceMap()
    where.add(path, node)
    if not isinstance(data, dict):
        line, column = where.locate(path, "") or (1, 1)
        raise RecordsInvalid([RecordError(path, "", "expected a mapping of fields (key: value) at the top level", line, column)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False):
            field = _field_name(tuple(err["loc"]))
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            unknown = err["type"] == "extra_forbidden"
            if unknown:
                msg = "unknown field (not part of the record format; see src/kg/model/records.py)"
            errors.append(where.error(path, field, msg, key=unknown))
        raise RecordsInvalid(errors) from None


def project_files(projects_dir: Path) -> list[Path]:
    return sorted(p for p in Path(projects_dir).iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_projects(projects_dir: Path, *, source_map: SourceMap | None = None) -> list[tuple[Path, ProjectRecord]]:
    """Every curated record of a directory, or :class:`RecordsInvalid` with all errors of all files.
    With ``source_map``, every file's positions are kept there."""
    where = source_map if source_map is not None else SourceMap()
    loaded: list[tuple[Path, ProjectRecord]] = []
    errors: list[RecordError] = []
    for path in project_files(projects_dir):
        try:
            loaded.append((path, load_model(path, ProjectRecord, source_map=where)))
        except RecordsInvalid as exc:
            errors.extend(exc.errors)
    seen: dict[str, Path] = {}
    for path, record in loaded:
        if record.id in seen:
            errors.append(where.error(path, "id", f"id {record.id!r} is already used by {seen[record.id].name}"))
        seen[record.id] = path
    if errors:
        raise RecordsInvalid(errors)
    return loaded


def load_programme_scheme(path: Path, *, source_map: SourceMap | None = None) -> ProgrammeScheme:
    return load_model(path, ProgrammeScheme, source_map=source_map)
