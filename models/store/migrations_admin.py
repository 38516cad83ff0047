"""Migration 18, administration (系统管理): settings an administrator edits on screen kept as
versioned documents, the history of category changes, dead letters' re-ingest outcome."""

from __future__ import annotations

ADMIN = """
-- settings edited on /admin instead of files (sensor rules, calendar overrides, indicator
-- targets, themes): every save is a new row, the newest per name is in force, older rows are
-- the history; body is the JSON document, validated by its own parser before it is written
CREATE SEQUENCE settings_doc_seq;
CREATE TABLE settings_docs (
    doc_id      BIGINT PRIMARY KEY DEFAULT nextval('settings_doc_seq'),
    name        VARCHAR NOT NULL,
    body        VARCHAR NOT NULL,
    saved_at    TIMESTAMP NOT NULL,
    saved_by    VARCHAR NOT NULL,
    note        VARCHAR
);
-- the category table's history (部件/事件 and their time limits): one row per changed field;
-- cases keep the limit they were dispatched with (cases.sla_limit_s), so a change applies to
-- new cases only
CREATE SEQUENCE category_change_seq;
CREATE TABLE category_changes (
    change_id      BIGINT PRIMARY KEY DEFAULT nextval('category_change_seq'),
    category_code  VARCHAR NOT NULL,
    changed_at     TIMESTAMP NOT NULL,
    actor          VARCHAR NOT NULL,
    field          VARCHAR NOT NULL,
    old_value      VARCHAR,
    new_value      VARCHAR
);
-- a dead letter sent through ingest again once its cause is fixed: when, by whom, and what came
-- of it ('ingested', or the new rejection's reason)
ALTER TABLE dead_letters ADD COLUMN reingested_at TIMESTAMP;
ALTER TABLE dead_letters ADD COLUMN reingested_by VARCHAR;
ALTER TABLE dead_letters ADD COLUMN reingest_outcome VARCHAR;
"""
