"""A fast SHACL validator: the shapes compiled to SPARQL and evaluated inside Oxigraph over the
whole graph at once (not node by node). pySHACL (:func:`kg.validation.reference.validate`) stays the
reference; this returns the same :class:`kg.validation.report.Report`.

    from kg.validation.fast import validate_fast
    report = validate_fast(quads_or_store, shapes_graph)

Modules: :mod:`~kg.validation.fast.compile` (shapes graph → plan), :mod:`~kg.validation.fast.targets`, one module per
constraint family (:mod:`~kg.validation.fast.cardinality`, :mod:`~kg.validation.fast.value_type`,
:mod:`~kg.validation.fast.value_range`, :mod:`~kg.validation.fast.string`, :mod:`~kg.validation.fast.property_pair`,
:mod:`~kg.validation.fast.logical`, :mod:`~kg.validation.fast.shape_based`, :mod:`~kg.validation.fast.other`,
:mod:`~kg.validation.fast.sparql`), :mod:`~kg.validation.fast.engine` (runs the plan) and :mod:`~kg.validation.fast.report`.
"""

from __future__ import annotations

from kg.validation.fast.api import FastValidator, load_store, validate_fast
from kg.validation.fast.engine import ValidationFailure
from kg.validation.fast.terms import Unsupported

__all__ = ["FastValidator", "Unsupported", "ValidationFailure", "load_store", "validate_fast"]
