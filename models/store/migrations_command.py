"""Migration 17, emergency command (应急指挥): plan tasks, cameras, the outbound MQTT outbox,
dispatch order re-sends, the warning workflow's columns, cell population, the wall's mode."""

from __future__ import annotations

COMMAND = """
-- incidents: where they came from (a case escalated, an alarm, an imported CAP alert), the
-- area as drawn, who closed them; the level history is in the timeline (incident_events)
ALTER TABLE incidents ADD COLUMN source_kind VARCHAR;      -- screen / api / case / alarm / cap
ALTER TABLE incidents ADD COLUMN source_ref VARCHAR;       -- case id, alarm id, CAP identifier
ALTER TABLE incidents ADD COLUMN district_code VARCHAR;
ALTER TABLE incidents ADD COLUMN closed_by VARCHAR;
ALTER TABLE incidents ADD COLUMN updated_at TIMESTAMP;
-- plan tasks on an incident: copied from the plan at activation (a later edit of the plan
-- does not change an activated incident), each with its due time and who did it when
CREATE TABLE incident_tasks (
    incident_id   VARCHAR NOT NULL,
    task_no       INTEGER NOT NULL,
    plan_id       VARCHAR NOT NULL,
    plan_level    VARCHAR NOT NULL,
    step_no       INTEGER NOT NULL,
    action_zh     VARCHAR NOT NULL,
    action_en     VARCHAR,
    owner         VARCHAR,
    requires      VARCHAR,                 -- resource kind/subtype the step needs, if any
    created_at    TIMESTAMP NOT NULL,
    due_at        TIMESTAMP,
    done_at       TIMESTAMP,
    done_by       VARCHAR,
    PRIMARY KEY (incident_id, task_no)
);
-- dispatch orders: the payload as sent, when it was re-sent (once), when it was flagged
-- unacknowledged (red), who acknowledged, the scene it was sent to, its status
ALTER TABLE dispatch_orders ADD COLUMN status VARCHAR;  -- sent/acked/arrived/unacked/cancelled
ALTER TABLE dispatch_orders ADD COLUMN scene_lon DOUBLE;
ALTER TABLE dispatch_orders ADD COLUMN scene_lat DOUBLE;
ALTER TABLE dispatch_orders ADD COLUMN resent_at TIMESTAMP;
ALTER TABLE dispatch_orders ADD COLUMN unacked_at TIMESTAMP;
ALTER TABLE dispatch_orders ADD COLUMN eta_s DOUBLE;
ALTER TABLE dispatch_orders ADD COLUMN exercise BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE dispatch_orders ADD COLUMN change_seq BIGINT DEFAULT nextval('change_seq');
-- shelters: how many people are in them now
ALTER TABLE resources ADD COLUMN occupancy INTEGER;
-- warnings (CAP out): the composed content, the workflow's times, the incident it belongs to,
-- the alert an Update or Cancel refers to
ALTER TABLE alerts ADD COLUMN incident_id VARCHAR;
ALTER TABLE alerts ADD COLUMN draft VARCHAR;               -- JSON of the composed content
ALTER TABLE alerts ADD COLUMN drafted_at TIMESTAMP;
ALTER TABLE alerts ADD COLUMN approved_at TIMESTAMP;
ALTER TABLE alerts ADD COLUMN published_at TIMESTAMP;
ALTER TABLE alerts ADD COLUMN references_id VARCHAR;
ALTER TABLE alerts ADD COLUMN expires TIMESTAMP;
-- cells: resident population estimate (warning reach); NULL where unknown
ALTER TABLE grid_cells ADD COLUMN population INTEGER;
-- cameras (调取周边视频): a registry imported from CSV; the stream URL is only a link
CREATE TABLE cameras (
    camera_id     VARCHAR PRIMARY KEY,
    name          VARCHAR,
    lon           DOUBLE NOT NULL,
    lat           DOUBLE NOT NULL,
    camera_class  INTEGER NOT NULL CHECK (camera_class IN (1, 2, 3)),
    stream_url    VARCHAR,
    owner         VARCHAR,
    synthetic     BOOLEAN NOT NULL DEFAULT FALSE,
    imported_at   TIMESTAMP NOT NULL
);
-- outbound MQTT (orders, CAP alerts): written in the transaction that decides to send, sent
-- by one thread afterwards and marked; a crash between the two sends it on the next start
CREATE SEQUENCE outbox_seq;
CREATE TABLE mqtt_outbox (
    seq           BIGINT PRIMARY KEY DEFAULT nextval('outbox_seq'),
    topic         VARCHAR NOT NULL,
    payload       BLOB NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    sent_at       TIMESTAMP,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    VARCHAR
);
-- the wall's mode set by an operator (战时 / 平时); NULL: follow the incidents
CREATE TABLE command_state (
    key           VARCHAR PRIMARY KEY,
    value         VARCHAR,
    set_by        VARCHAR,
    set_at        TIMESTAMP NOT NULL
);
"""
