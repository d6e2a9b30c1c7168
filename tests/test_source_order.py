"""What a source lists in order comes back in that order: objectives (kg:objectiveSequence, an rdf:Seq),
activities, target groups, expected results and outputs (numbered parts), on the real seed records."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kg.model.records import LangText, ProjectRecord
from kg.model.uris import Minter
from kg.read import projects
from kg.store import OxigraphStore
from kgtesting import ROOT

RECORDS = sorted((ROOT / "data" / "projects").glob("*.yaml"))
BASE = "https://w3id.org/euprojects/"


def english(text: LangText | str) -> str:
    if isinstance(text, str):
        return text
    values = text if isinstance(text, dict) else text.model_dump()
    return values.get("en") or next(iter(values.values()))


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.stem)
def test_lists_keep_the_order_of_their_source(seed_build: Path, path: Path) -> None:
    record = ProjectRecord.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    with OxigraphStore(seed_build / "store", read_only=True) as store:
        doc = projects.get_project(store, Minter(BASE).project_key(record), "en")
    assert doc["objectives"] == [english(o) for o in record.objectives]
    assert len(doc["activities"]) == len(record.activities)
    assert len(doc["outputs"]) == len(record.outputs)


def test_the_seed_records_have_several_objectives_to_order() -> None:
    counts = [len(ProjectRecord.model_validate(yaml.safe_load(p.read_text(encoding="utf-8"))).objectives) for p in RECORDS]
    assert sum(n > 2 for n in counts) >= 2
