"""The tables of ``kg-read.sqlite``: what the REST API, the HTML lists and search read.

Every row is derived from the release's store (:mod:`kg.readmodel.derive`); nothing here is edited
after the build. Integer ids (``pid`` for projects, ``oid`` for organisations) are the file's own,
URIs are the graph's.
"""

from __future__ import annotations

VERSION = 1

DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- one row per project: the summary's single-valued fields
CREATE TABLE project (
  pid INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE,
  key TEXT,                 -- dct:identifier
  acronym TEXT,
  status TEXT,
  start_date TEXT, start_datatype TEXT, start_year INTEGER,
  end_date TEXT, end_datatype TEXT, end_year INTEGER,
  programme TEXT,           -- kg:fundedUnder (the concept the project names)
  title_key TEXT            -- lower-cased English-or-any title, the default sort
);
-- the listing's sorts, as kg.read.model orders them (an index per sort: a page is an index walk, not a sort)
CREATE INDEX project_by_title ON project (title_key, uri);
CREATE INDEX project_by_start ON project (COALESCE(start_date, '~'), title_key, uri);
CREATE INDEX project_by_start_desc ON project (COALESCE(start_date, '') DESC, title_key, uri);
CREATE INDEX project_by_end ON project (COALESCE(end_date, '~'), title_key, uri);
CREATE INDEX project_by_end_desc ON project (COALESCE(end_date, '') DESC, title_key, uri);
CREATE INDEX project_by_acronym ON project (COALESCE(lower(acronym), '~'), title_key, uri);
CREATE INDEX project_by_acronym_desc ON project (COALESCE(lower(acronym), '') DESC, title_key, uri);
CREATE INDEX project_by_year ON project (start_year);
-- every language of the project's texts: field in (title, fullName, description, objective)
CREATE TABLE project_text (pid INTEGER NOT NULL, field TEXT NOT NULL, lang TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX project_text_pid ON project_text (pid, field);
-- kg:country of the project itself (what a summary lists)
CREATE TABLE project_country (pid INTEGER NOT NULL, country TEXT NOT NULL, PRIMARY KEY (country, pid)) WITHOUT ROWID;
-- the country filter and facet: the project's, its cities' and its participants' countries
CREATE TABLE project_place (pid INTEGER NOT NULL, country TEXT NOT NULL, PRIMARY KEY (country, pid)) WITHOUT ROWID;
CREATE INDEX project_place_pid ON project_place (pid);
-- SDGs: stated (kg:sdg, suggested = 0) and suggested (issue 16's inferred graph, suggested = 1)
CREATE TABLE project_sdg (
  pid INTEGER NOT NULL, sdg TEXT NOT NULL, goal TEXT NOT NULL, suggested INTEGER NOT NULL, score REAL,
  PRIMARY KEY (suggested, sdg, pid)
) WITHOUT ROWID;
CREATE INDEX project_sdg_goal ON project_sdg (suggested, goal, pid);
CREATE INDEX project_sdg_pid ON project_sdg (pid);
-- the programme path: every concept the project is funded under, and every broader one
CREATE TABLE project_scheme (pid INTEGER NOT NULL, concept TEXT NOT NULL, direct INTEGER NOT NULL, PRIMARY KEY (concept, pid)) WITHOUT ROWID;
CREATE INDEX project_scheme_pid ON project_scheme (pid);
-- one row per (project, organisation, role); role "funder" for kg:fundedBy, "" for no role
CREATE TABLE project_org (pid INTEGER NOT NULL, oid INTEGER NOT NULL, role TEXT NOT NULL, PRIMARY KEY (oid, pid, role)) WITHOUT ROWID;
CREATE INDEX project_org_pid ON project_org (pid);
CREATE TABLE organisation (
  oid INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE,
  key TEXT, short_name TEXT, legal_name TEXT, organisation_type TEXT,
  country TEXT, is_funder INTEGER NOT NULL,
  name_key TEXT,            -- lower-cased rdfs:label (any), the sort
  project_count INTEGER NOT NULL
);
CREATE INDEX organisation_name ON organisation (name_key, uri);
-- organisation country for the filter: its own and its cities'
CREATE TABLE organisation_place (oid INTEGER NOT NULL, country TEXT NOT NULL, PRIMARY KEY (country, oid)) WITHOUT ROWID;
-- display labels of every non-project resource: rank = the label predicate's rank (rdfs:label first)
CREATE TABLE label (uri TEXT NOT NULL, lang TEXT NOT NULL, rank INTEGER NOT NULL, value TEXT NOT NULL);
CREATE INDEX label_uri ON label (uri);
CREATE TABLE alt_label (uri TEXT NOT NULL, lang TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX alt_label_uri ON alt_label (uri);
CREATE TABLE country (uri TEXT PRIMARY KEY, iso2 TEXT, iso3 TEXT, project_count INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE sdg (uri TEXT PRIMARY KEY, code TEXT NOT NULL, goal TEXT, is_goal INTEGER NOT NULL, project_count INTEGER NOT NULL, suggested_count INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE scheme (
  uri TEXT PRIMARY KEY, level TEXT NOT NULL, broader TEXT, notation TEXT,
  project_count INTEGER NOT NULL, total_project_count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE scheme_funder (uri TEXT NOT NULL, funder TEXT NOT NULL, PRIMARY KEY (uri, funder)) WITHOUT ROWID;
CREATE TABLE start_year (year INTEGER PRIMARY KEY, project_count INTEGER NOT NULL);
CREATE TABLE total (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
-- full text: one row per project (rowid = pid) and one per typeahead entry
CREATE VIRTUAL TABLE project_fts USING fts5 (
  title, acronym, summary, objectives, organisations,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE suggest (sid INTEGER PRIMARY KEY, kind TEXT NOT NULL, uri TEXT NOT NULL, label TEXT NOT NULL, weight INTEGER NOT NULL);
CREATE VIRTUAL TABLE suggest_fts USING fts5 (label, other, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
"""
