"""Saved HTML project pages → main text and metadata (``trafilatura``): the page's language
(``<html lang>``, ``og:locale``), title (``og:title``, schema.org ``name``/``headline``, ``<title>``),
address (canonical link, ``og:url``), site name and publication date. The extractor then reads the
main text like a text page; the metadata's values are facts of their own (method ``html metadata``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import trafilatura
from lxml import html as lxml_html

HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass
class HtmlPage:
    text: str
    title: str | None = None
    language: str | None = None
    url: str | None = None
    site_name: str | None = None
    date: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def looks_like_html(raw: str) -> bool:
    head = raw.lstrip()[:500].lower()
    return head.startswith("<!doctype html") or head.startswith("<html") or bool(re.search(r"<(?:head|body|div|p)\b", head))


def _schema_org(doc: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in doc.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(node.text or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []:
            if isinstance(item, dict):
                for k in ("name", "headline", "inLanguage", "url", "startDate", "endDate", "alternateName"):
                    if k in item and k not in out and isinstance(item[k], str):
                        out[k] = item[k]
    return out


def read_html(raw: str) -> HtmlPage:
    """The main text of a saved page (navigation, footer and boilerplate removed) and its metadata."""
    text = trafilatura.extract(raw, include_comments=False, include_tables=True, favor_recall=True, deduplicate=False) or ""
    meta = trafilatura.extract_metadata(raw)
    doc = lxml_html.fromstring(raw)
    lang = (doc.get("lang") or doc.get("xml:lang") or "").split("-")[0].lower() or None
    og = {m.get("property"): m.get("content") for m in doc.xpath("//meta[@property]") if m.get("content")}
    schema = _schema_org(doc)
    if lang is None and og.get("og:locale"):
        lang = og["og:locale"].split("_")[0].lower()
    if lang is None and schema.get("inLanguage"):
        lang = str(schema["inLanguage"]).split("-")[0].lower()
    title = og.get("og:title") or schema.get("name") or schema.get("headline") or (meta.title if meta else None)
    url = og.get("og:url") or schema.get("url") or (meta.url if meta else None)
    page = HtmlPage(
        text=text,
        title=title.strip() if title else None,
        language=lang,
        url=url if url and re.match(r"^https?://", url) else None,
        site_name=og.get("og:site_name") or (meta.sitename if meta else None),
        date=meta.date if meta else None,
        description=og.get("og:description") or (meta.description if meta else None),
        metadata={"og": og, "schema.org": schema},
    )
    # the title as a first line lets the layout rules see it (trafilatura drops <h1> when it repeats <title>)
    if page.title and not text.lstrip().startswith(page.title):
        page.text = f"{page.title}\n\n{text}"
    return page
