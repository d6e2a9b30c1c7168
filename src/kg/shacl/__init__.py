"""A fast SHACL validator: the shapes compiled to SPARQL and evaluated inside Oxigraph over the
whole graph at once (not node by node). pySHACL (:func:`kg.validation.validate`) stays the
reference; this returns the same :class:`kg.validation.Report`.

    from kg.shacl import validate_fast
    report = validate_fast(quads_or_store, shapes_graph)

Modules: :mod:`~kg.shacl.compile` (shapes graph → plan), :mod:`~kg.shacl.targets`, one module per
constraint family (:mod:`~kg.shacl.cardinality`, :mod:`~kg.shacl.value_type`,
:mod:`~kg.shacl.value_range`, :mod:`~kg.shacl.string`, :mod:`~kg.shacl.property_pair`,
:mod:`~kg.shacl.logical`, :mod:`~kg.shacl.shape_based`, :mod:`~kg.shacl.other`,
:mod:`~kg.shacl.sparql`), :mod:`~kg.shacl.engine` (runs the plan) and :mod:`~kg.shacl.report`.
"""

from __future__ import annotations

from kg.shacl.api import FastValidator, load_store, validate_fast
from kg.shacl.engine import ValidationFailure
from kg.shacl.terms import Unsupported

__all__ = ["FastValidator", "Unsupported", "ValidationFailure", "load_store", "validate_fast"]
