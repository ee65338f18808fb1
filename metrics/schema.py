"""The warehouse schema as ordered migrations. Append new ones; never edit an applied one.

Conventions: periods are (frequency, start date); an observation without a breakdown has
dimension and member '' (so the key has no NULLs); percents are stored as fractions.
"""
from __future__ import annotations

UNITS = ("count", "percent", "currency", "duration", "rate", "ratio", "score")
DIRECTIONS = ("up", "down", "band", "neutral")
AGGREGATIONS = ("sum", "mean", "last", "ratio")
FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "annual")
DURATION_UNITS = ("minutes", "hours", "days")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "catalogue, targets, observations, import batches", f"""
CREATE TABLE meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE departments (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    name_es VARCHAR,
    name_pt VARCHAR,
    head VARCHAR
);

CREATE TABLE goals (
    id VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    title_es VARCHAR,
    title_pt VARCHAR,
    description VARCHAR,
    description_es VARCHAR,
    description_pt VARCHAR,
    owner VARCHAR,
    parent_id VARCHAR,
    mayoral_priority BOOLEAN NOT NULL DEFAULT FALSE,
    sort_order INTEGER NOT NULL DEFAULT 0,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    updated_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp()
);

CREATE TABLE kpis (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    name_es VARCHAR,
    name_pt VARCHAR,
    description VARCHAR,
    description_es VARCHAR,
    description_pt VARCHAR,
    department_id VARCHAR,
    goal_id VARCHAR,
    unit VARCHAR NOT NULL CHECK (unit IN {_in(UNITS)}),
    -- minutes/hours/days for durations, free text such as "per 1,000 residents" for rates
    unit_label VARCHAR,
    direction VARCHAR NOT NULL CHECK (direction IN {_in(DIRECTIONS)}),
    frequency VARCHAR NOT NULL CHECK (frequency IN {_in(FREQUENCIES)}),
    aggregation VARCHAR NOT NULL CHECK (aggregation IN {_in(AGGREGATIONS)}),
    tolerance DOUBLE NOT NULL DEFAULT 0.10 CHECK (tolerance >= 0),
    decimals INTEGER NOT NULL DEFAULT 0 CHECK (decimals BETWEEN 0 AND 6),
    owner VARCHAR,
    data_source VARCHAR,
    methodology VARCHAR,
    -- days after a period ends by which its value is due; NULL means one period
    lag_days INTEGER CHECK (lag_days >= 0),
    published BOOLEAN NOT NULL DEFAULT FALSE,
    critical BOOLEAN NOT NULL DEFAULT FALSE,
    breakdowns VARCHAR[] NOT NULL DEFAULT [],
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    updated_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp()
);

CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY,
    kind VARCHAR NOT NULL,             -- import, seed, manual, dataset
    file_name VARCHAR,
    file_size BIGINT,
    sha256 VARCHAR,
    stored_path VARCHAR,
    profile_name VARCHAR,
    profile JSON,
    created_by VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    rows_accepted INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    rows_replaced INTEGER NOT NULL DEFAULT 0,
    status VARCHAR NOT NULL DEFAULT 'committed',   -- committed, reverted
    reverted_at TIMESTAMP,
    reverted_by VARCHAR
);
CREATE SEQUENCE import_batch_ids START 1;

CREATE TABLE targets (
    kpi_id VARCHAR NOT NULL,
    frequency VARCHAR NOT NULL CHECK (frequency IN {_in(FREQUENCIES)}),
    period_start DATE NOT NULL,
    value DOUBLE,
    low DOUBLE,
    high DOUBLE,
    batch_id INTEGER,
    updated_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    PRIMARY KEY (kpi_id, frequency, period_start),
    CHECK ((value IS NOT NULL AND low IS NULL AND high IS NULL)
        OR (value IS NULL AND low IS NOT NULL AND high IS NOT NULL AND low <= high))
);

CREATE TABLE observations (
    kpi_id VARCHAR NOT NULL,
    frequency VARCHAR NOT NULL CHECK (frequency IN {_in(FREQUENCIES)}),
    period_start DATE NOT NULL,
    dimension VARCHAR NOT NULL DEFAULT '',
    member VARCHAR NOT NULL DEFAULT '',
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    note VARCHAR,
    batch_id INTEGER,
    updated_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    PRIMARY KEY (kpi_id, period_start, dimension, member)
);
"""),
    (2, "what each import replaced, so a revert restores it exactly", """
CREATE TABLE import_replaced_observations (
    replaced_by INTEGER NOT NULL,
    kpi_id VARCHAR NOT NULL,
    frequency VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    dimension VARCHAR NOT NULL,
    member VARCHAR NOT NULL,
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    note VARCHAR,
    batch_id INTEGER,
    updated_at TIMESTAMP
);
CREATE TABLE import_replaced_targets (
    replaced_by INTEGER NOT NULL,
    kpi_id VARCHAR NOT NULL,
    frequency VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    value DOUBLE,
    low DOUBLE,
    high DOUBLE,
    batch_id INTEGER,
    updated_at TIMESTAMP
);
ALTER TABLE import_batches ADD COLUMN report JSON;
ALTER TABLE import_batches ADD COLUMN targets_loaded INTEGER DEFAULT 0;
ALTER TABLE import_batches ADD COLUMN kpis_created INTEGER DEFAULT 0;
"""),
    # Keeping an index on a million-row import's keys cost about as much as reading, checking
    # and writing the rows together, and no query looks observations up by the key. One row
    # per key now rests on the writers: an import deletes the keys it brings before inserting
    # them, in one transaction under the writer's lock (metrics.imports); a revert restores
    # only keys nobody has written since. DuckDB cannot drop a primary key, so the table is
    # rebuilt (nothing depends on it: no views, no foreign keys).
    (3, "observations without the key index; imports keep one row per key", f"""
CREATE TABLE observations_rebuilt (
    kpi_id VARCHAR NOT NULL,
    frequency VARCHAR NOT NULL CHECK (frequency IN {_in(FREQUENCIES)}),
    period_start DATE NOT NULL,
    dimension VARCHAR NOT NULL DEFAULT '',
    member VARCHAR NOT NULL DEFAULT '',
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    note VARCHAR,
    batch_id INTEGER,
    updated_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp()
);
INSERT INTO observations_rebuilt (kpi_id, frequency, period_start, dimension, member, value, numerator, denominator,
                                  note, batch_id, updated_at)
    SELECT kpi_id, frequency, period_start, dimension, member, value, numerator, denominator, note, batch_id,
           updated_at
    FROM observations ORDER BY kpi_id, period_start, dimension, member;   -- a KPI's rows together
DROP TABLE observations;
ALTER TABLE observations_rebuilt RENAME TO observations;
"""),
    # Computed KPIs (issue #7): each change of a KPI's SQL is a new version, the old ones kept
    # as history; observations computed from one say which version and which raw batch.
    (4, "computed KPI definitions and the lineage of computed observations", """
CREATE TABLE kpi_definitions (
    kpi_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    sql VARCHAR NOT NULL,
    datasets VARCHAR[] NOT NULL,
    output VARCHAR[] NOT NULL,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    PRIMARY KEY (kpi_id, version)
);
ALTER TABLE observations ADD COLUMN definition_version INTEGER;
ALTER TABLE observations ADD COLUMN raw_batch INTEGER;
"""),
    # Open data (issue #8): goals are published or not, like KPIs. (DuckDB cannot add a
    # NOT NULL column; readers treat NULL as not published.)
    (5, "published goals", """
ALTER TABLE goals ADD COLUMN published BOOLEAN DEFAULT FALSE;
UPDATE goals SET published = FALSE WHERE published IS NULL;
"""),
    # The catalogue written in the app (issue #10): every change of a goal's or a KPI's
    # definition is a numbered version saying who changed which fields, when, from what to
    # what. Rows are only ever added; archiving is a change like any other.
    (6, "versions of goal and KPI definitions", """
CREATE TABLE catalogue_versions (
    item_type VARCHAR NOT NULL CHECK (item_type IN ('goal', 'kpi')),
    item_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    changed_by VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    action VARCHAR NOT NULL,           -- create, update, archive, restore
    changes JSON NOT NULL,             -- {"field": {"old": ..., "new": ...}}
    PRIMARY KEY (item_type, item_id, version)
);
"""),
)
