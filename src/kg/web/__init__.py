"""The web face of the graph: ``kg serve``'s SPARQL 1.1 endpoint, REST API, linked data and pages.

``create_app`` (:mod:`kg.web.app`) builds the one FastAPI app, ``serve`` (:mod:`kg.web.server`)
runs it on uvicorn. Below them: :mod:`kg.web.http` (errors, ETags, negotiation, language),
:mod:`kg.web.context` (the app context every route reads), :mod:`kg.web.sparql` (the protocol
half) and :mod:`kg.web.site` (the site half). Queries run in worker processes under a time
limit (:mod:`kg.store.pool`); results stream.
"""
