"""The versioned schema: ordered migrations, each applied once in its own transaction.

Conventions: timestamps are TIMESTAMP in UTC; points are lon/lat DOUBLE columns; polygons
and lines are WKB BLOBs (DuckDB runs without its spatial extension, see STACK.md).
Append a new migration to change the schema; never edit one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.store.migrations_admin import ADMIN
from models.store.migrations_command import COMMAND


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


_GEOGRAPHY = """
CREATE TABLE admin_areas (
    code          VARCHAR PRIMARY KEY,     -- 6 (city/district), 9 (street) or 12 digits (community)
    level         VARCHAR NOT NULL CHECK (level IN ('city', 'district', 'street', 'community')),
    parent_code   VARCHAR,
    name_zh       VARCHAR NOT NULL,
    name_en       VARCHAR,
    kind          VARCHAR,                 -- 街道 / 镇 / 社区 / 村 ...
    geom_wkb      BLOB,
    synthetic     BOOLEAN NOT NULL DEFAULT FALSE,
    source        VARCHAR
);
CREATE TABLE grid_versions (
    version_id    INTEGER PRIMARY KEY,
    name          VARCHAR NOT NULL,
    valid_from    TIMESTAMP NOT NULL,
    valid_to      TIMESTAMP,               -- NULL: current
    source        VARCHAR,
    imported_at   TIMESTAMP NOT NULL,
    cell_count    INTEGER NOT NULL,
    note          VARCHAR
);
CREATE TABLE grid_cells (
    version_id        INTEGER NOT NULL,
    cell_code         VARCHAR NOT NULL CHECK (length(cell_code) = 15),
    district_code     VARCHAR NOT NULL,
    street_code       VARCHAR NOT NULL,
    community_code    VARCHAR NOT NULL,
    seq               INTEGER NOT NULL,
    size_class        VARCHAR,
    responsible_body  VARCHAR,             -- NULL: the community, then the street answers
    grid_workers      VARCHAR[],
    area_m2           DOUBLE,
    centroid_lon      DOUBLE NOT NULL,
    centroid_lat      DOUBLE NOT NULL,
    min_lon DOUBLE, min_lat DOUBLE, max_lon DOUBLE, max_lat DOUBLE,
    geom_wkb          BLOB NOT NULL,
    synthetic         BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (version_id, cell_code)
);
CREATE TABLE base_features (            -- rivers, sea, landmarks: the offline base map
    feature_id    VARCHAR PRIMARY KEY,
    layer         VARCHAR NOT NULL,
    name_zh       VARCHAR,
    name_en       VARCHAR,
    kind          VARCHAR,
    geom_wkb      BLOB NOT NULL,
    synthetic     BOOLEAN NOT NULL DEFAULT FALSE,
    source        VARCHAR
);
CREATE TABLE users (
    username       VARCHAR PRIMARY KEY,
    display_name   VARCHAR,
    password_hash  VARCHAR NOT NULL,
    role           VARCHAR NOT NULL CHECK (role IN
                   ('operator', 'dispatcher', 'grid_worker', 'leader', 'emergency', 'admin')),
    scope_kind     VARCHAR NOT NULL CHECK (scope_kind IN ('city', 'district', 'street', 'cells')),
    scope_codes    VARCHAR[] NOT NULL,
    language       VARCHAR,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL
);
CREATE SEQUENCE audit_seq;
CREATE TABLE audit_log (                 -- append-only: rows are never updated or deleted
    seq       BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    occurred_at TIMESTAMP NOT NULL,
    actor     VARCHAR,
    action    VARCHAR NOT NULL,
    target    VARCHAR,
    outcome   VARCHAR NOT NULL,
    detail    VARCHAR,
    remote    VARCHAR
);
CREATE SEQUENCE dead_letter_seq;
CREATE TABLE dead_letters (              -- rejected input, kept for inspection
    dead_letter_id  BIGINT PRIMARY KEY DEFAULT nextval('dead_letter_seq'),
    received_at     TIMESTAMP NOT NULL,
    channel         VARCHAR NOT NULL,      -- mqtt / file / http
    topic           VARCHAR,               -- MQTT topic or file path
    payload         BLOB,
    reason          VARCHAR NOT NULL,
    resolved_at     TIMESTAMP
);
"""

_CASES = """
CREATE TABLE departments (
    dept_code     VARCHAR PRIMARY KEY,
    name_zh       VARCHAR NOT NULL,
    name_en       VARCHAR,
    level         VARCHAR NOT NULL CHECK (level IN ('city', 'district', 'street')),
    district_code VARCHAR
);
CREATE TABLE categories (
    category_code       VARCHAR PRIMARY KEY, -- major + minor, e.g. 0105
    kind                VARCHAR NOT NULL CHECK (kind IN ('component', 'event')),
    major_code          VARCHAR NOT NULL,
    minor_code          VARCHAR NOT NULL,
    name_zh             VARCHAR NOT NULL,
    name_en             VARCHAR NOT NULL,
    owner_dept          VARCHAR NOT NULL,
    register_condition  VARCHAR,
    close_condition     VARCHAR,
    limit_value         DOUBLE NOT NULL,
    limit_unit          VARCHAR NOT NULL CHECK (limit_unit IN ('working_hours', 'working_days')),
    grid_level          BOOLEAN NOT NULL DEFAULT FALSE,
    enabled             BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE TABLE cases (
    case_id          VARCHAR PRIMARY KEY,
    external_id      VARCHAR UNIQUE,       -- message id / hotline order number: makes replays harmless
    source           VARCHAR NOT NULL,     -- grid_worker / hotline / iot / video_ai / open311 / higher_level
    category_code    VARCHAR,
    lon              DOUBLE,
    lat              DOUBLE,
    address          VARCHAR,
    description      VARCHAR,
    reporter         VARCHAR,
    reported_at      TIMESTAMP NOT NULL,
    grid_version     INTEGER,
    cell_code        VARCHAR,
    district_code    VARCHAR,
    street_code      VARCHAR,
    community_code   VARCHAR,
    exercise         BOOLEAN NOT NULL DEFAULT FALSE,
    stage            VARCHAR NOT NULL,     -- kept in step with case_transitions in one transaction
    assigned_unit    VARCHAR,
    assignee         VARCHAR,
    due_at           TIMESTAMP,
    closed_at        TIMESTAMP,
    rework_count     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE case_transitions (
    case_id     VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,
    from_stage  VARCHAR,
    to_stage    VARCHAR NOT NULL,
    note        VARCHAR,
    PRIMARY KEY (case_id, seq)
);
CREATE TABLE case_events (               -- escalations (督办), routing suggestions, overrides
    case_id     VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor       VARCHAR,
    kind        VARCHAR NOT NULL,
    detail      VARCHAR,
    PRIMARY KEY (case_id, seq)
);
CREATE TABLE case_attachments (
    attachment_id  VARCHAR PRIMARY KEY,
    case_id        VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    media_type     VARCHAR NOT NULL,
    size_bytes     BIGINT NOT NULL,
    path           VARCHAR NOT NULL,
    uploaded_by    VARCHAR,
    uploaded_at    TIMESTAMP NOT NULL
);
"""

_SENSING = """
CREATE TABLE sensors (
    sensor_id        VARCHAR PRIMARY KEY,
    kind             VARCHAR NOT NULL,
    lon              DOUBLE NOT NULL,
    lat              DOUBLE NOT NULL,
    grid_version     INTEGER,
    cell_code        VARCHAR,
    owner            VARCHAR,
    installed_on     DATE,
    interval_s       INTEGER NOT NULL,
    zone             VARCHAR,              -- noise functional zone / target water class
    warning_level    DOUBLE,
    danger_level     DOUBLE,
    segment_id       VARCHAR,
    last_seen        TIMESTAMP,
    synthetic        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE observations (
    msg_id       VARCHAR NOT NULL,
    sensor_id    VARCHAR NOT NULL,
    ts           TIMESTAMP NOT NULL,
    metric       VARCHAR NOT NULL,
    value        DOUBLE NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (msg_id, metric)
);
CREATE TABLE alarm_rules (
    rule_id      VARCHAR PRIMARY KEY,
    sensor_kind  VARCHAR NOT NULL,
    metric       VARCHAR NOT NULL,
    rule_type    VARCHAR NOT NULL CHECK (rule_type IN ('threshold', 'rate', 'no_data')),
    threshold    DOUBLE,
    duration_s   INTEGER,
    category_code VARCHAR,
    enabled      BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE TABLE alarms (
    alarm_id     VARCHAR PRIMARY KEY,
    rule_id      VARCHAR NOT NULL,
    sensor_id    VARCHAR NOT NULL,
    opened_at    TIMESTAMP NOT NULL,
    cleared_at   TIMESTAMP,
    level        VARCHAR,
    value        DOUBLE,
    case_id      VARCHAR,
    exercise     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE road_segments (
    segment_id      VARCHAR PRIMARY KEY,
    name_zh         VARCHAR,
    road_class      VARCHAR NOT NULL,
    free_flow_kmh   DOUBLE NOT NULL,
    lanes           INTEGER,
    length_m        DOUBLE NOT NULL,
    geom_wkb        BLOB NOT NULL,
    synthetic       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE traffic_samples (
    msg_id       VARCHAR PRIMARY KEY,
    segment_id   VARCHAR NOT NULL,
    ts           TIMESTAMP NOT NULL,
    speed_kmh    DOUBLE,
    flow_vph     DOUBLE,
    occupancy    DOUBLE,
    received_at  TIMESTAMP NOT NULL
);
"""

_EMERGENCY = """
CREATE TABLE incidents (
    incident_id   VARCHAR PRIMARY KEY,
    incident_type VARCHAR NOT NULL,
    level         VARCHAR NOT NULL CHECK (level IN ('I', 'II', 'III', 'IV')),
    title         VARCHAR NOT NULL,
    lon           DOUBLE,
    lat           DOUBLE,
    area_wkb      BLOB,
    status        VARCHAR NOT NULL,
    exercise      BOOLEAN NOT NULL DEFAULT FALSE,
    opened_at     TIMESTAMP NOT NULL,
    closed_at     TIMESTAMP,
    opened_by     VARCHAR
);
CREATE TABLE plans (
    plan_id        VARCHAR PRIMARY KEY,
    incident_type  VARCHAR NOT NULL,
    level          VARCHAR NOT NULL,
    name_zh        VARCHAR NOT NULL,
    name_en        VARCHAR
);
CREATE TABLE plan_steps (
    plan_id      VARCHAR NOT NULL,
    step_no      INTEGER NOT NULL,
    action_zh    VARCHAR NOT NULL,
    action_en    VARCHAR,
    owner        VARCHAR,
    due_offset_min INTEGER,
    PRIMARY KEY (plan_id, step_no)
);
CREATE TABLE incident_events (            -- the incident timeline: plan tasks, notes, orders
    incident_id  VARCHAR NOT NULL,
    seq          INTEGER NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor        VARCHAR,
    kind         VARCHAR NOT NULL,
    detail       VARCHAR,
    PRIMARY KEY (incident_id, seq)
);
CREATE TABLE resources (
    resource_id   VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL CHECK (kind IN ('team', 'vehicle', 'depot', 'shelter', 'expert')),
    subtype       VARCHAR,
    name_zh       VARCHAR NOT NULL,
    name_en       VARCHAR,
    status        VARCHAR NOT NULL CHECK (status IN
                  ('available', 'dispatched', 'on_scene', 'returning', 'out_of_service')),
    capacity      INTEGER,
    stock         VARCHAR,                 -- JSON
    district_code VARCHAR,
    lon           DOUBLE NOT NULL,
    lat           DOUBLE NOT NULL,
    position_at   TIMESTAMP,
    synthetic     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE unit_positions (
    msg_id       VARCHAR PRIMARY KEY,
    unit_id      VARCHAR NOT NULL,
    ts           TIMESTAMP NOT NULL,
    lon          DOUBLE NOT NULL,
    lat          DOUBLE NOT NULL,
    status       VARCHAR,
    received_at  TIMESTAMP NOT NULL
);
CREATE TABLE dispatch_orders (
    order_id      VARCHAR PRIMARY KEY,
    incident_id   VARCHAR,
    resource_id   VARCHAR NOT NULL,
    issued_at     TIMESTAMP NOT NULL,
    issued_by     VARCHAR,
    acked_at      TIMESTAMP,
    arrived_at    TIMESTAMP,
    note          VARCHAR
);
CREATE TABLE alerts (                     -- CAP 1.2 warnings, in and out
    identifier    VARCHAR PRIMARY KEY,
    direction     VARCHAR NOT NULL CHECK (direction IN ('in', 'out')),
    state         VARCHAR NOT NULL,        -- draft / approved / published / imported
    sender        VARCHAR,
    sent          TIMESTAMP,
    msg_type      VARCHAR,
    severity      VARCHAR,
    headline      VARCHAR,
    area_wkb      BLOB,
    xml           VARCHAR,
    drafted_by    VARCHAR,
    approved_by   VARCHAR,
    exercise      BOOLEAN NOT NULL DEFAULT FALSE
);
"""

_INGEST = """
ALTER TABLE unit_positions ADD COLUMN grid_version INTEGER;
ALTER TABLE unit_positions ADD COLUMN cell_code VARCHAR;
ALTER TABLE observations ADD COLUMN source VARCHAR;      -- mqtt / file:<name>
CREATE SEQUENCE ingest_file_seq;
CREATE TABLE ingest_files (               -- one row per file load attempt, with its report
    file_id       BIGINT PRIMARY KEY DEFAULT nextval('ingest_file_seq'),
    path          VARCHAR NOT NULL,
    kind          VARCHAR,                -- grid / sensors / observations / hotline / cap
    sha256        VARCHAR,
    status        VARCHAR NOT NULL CHECK (status IN ('loaded', 'failed')),
    rows_loaded   BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP NOT NULL,
    report_path   VARCHAR,
    summary       VARCHAR
);
"""

_WORKFLOW = """
-- a case's history must be foldable on its own: which action, by which role, with what
-- data (unit, reason, granted extension) — approve and deny both go back to handling
ALTER TABLE case_transitions ADD COLUMN action VARCHAR;
ALTER TABLE case_transitions ADD COLUMN role VARCHAR;
ALTER TABLE case_transitions ADD COLUMN data VARCHAR;   -- JSON object
UPDATE case_transitions SET action = 'report', role = 'operator'
    WHERE action IS NULL AND from_stage IS NULL AND to_stage = 'reported';
"""

_CASE_CLOCK = """
-- milestones of a case, kept in step with case_transitions in the same transaction, so that
-- evaluation runs as plain SQL over cases (working time is computed when a milestone is hit)
ALTER TABLE cases ADD COLUMN registered_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN dispatched_at TIMESTAMP;      -- first dispatch
ALTER TABLE cases ADD COLUMN dispatch_due_at TIMESTAMP;    -- registration + dispatch limit
ALTER TABLE cases ADD COLUMN handled_at TIMESTAMP;         -- last feedback (处置反馈)
ALTER TABLE cases ADD COLUMN sla_limit_s BIGINT;           -- category limit + granted extensions
ALTER TABLE cases ADD COLUMN handling_used_s BIGINT;       -- SLA working seconds used at feedback
ALTER TABLE cases ADD COLUMN returns_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN escalation_level VARCHAR;     -- last 督办 tier raised
ALTER TABLE cases ADD COLUMN duplicate_of VARCHAR;
"""

_CHANGE_CURSOR = """
-- one city-wide change cursor: every insert and every update of a map row takes the next
-- value, so a screen asks "what moved since seq N" with one indexed comparison
CREATE SEQUENCE change_seq;
ALTER TABLE cases ADD COLUMN change_seq BIGINT DEFAULT nextval('change_seq');
ALTER TABLE alarms ADD COLUMN change_seq BIGINT DEFAULT nextval('change_seq');
ALTER TABLE incidents ADD COLUMN change_seq BIGINT DEFAULT nextval('change_seq');
ALTER TABLE resources ADD COLUMN change_seq BIGINT DEFAULT nextval('change_seq');
ALTER TABLE alerts ADD COLUMN change_seq BIGINT DEFAULT nextval('change_seq');
"""

_CASE_NUMBERS = """
-- one case-id scheme for every source: C<local date>-<number>, the number drawn from this
-- sequence inside the write transaction (no hash, so no collision); older ids stay as they are.
-- category_issue: 'unknown' or 'disabled' when a machine report (MQTT, file, rule) was kept
-- with a category the table does not (or no longer) know; cleared by re-categorising
CREATE SEQUENCE case_number_seq;
ALTER TABLE cases ADD COLUMN category_issue VARCHAR;
"""

_OBSERVATION_ORDER = """
-- the rules pass reads observations by commit order, not by a wall clock: obs_seq is taken
-- at insert inside the writer's transaction (one writer thread, see models.store.engine), so
-- every row below the highest seq a reader sees was committed before it; exercise marks
-- readings of a drill, whose alarms and cases are exercises too
CREATE SEQUENCE obs_seq;
ALTER TABLE observations ADD COLUMN seq BIGINT DEFAULT nextval('obs_seq');
ALTER TABLE observations ADD COLUMN exercise BOOLEAN NOT NULL DEFAULT FALSE;
"""

_SESSION_EPOCH = """
-- a signed session carries the epoch it was opened in; log-out, a new password, disabling
-- and a role or scope change move the epoch on, so every older session is refused at once
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
"""

_DEAD_LETTER_DIGEST = """
-- a dead letter keeps the first 64 KiB of its payload; the size and sha256 of the whole
-- payload say what came (two 10 MB messages no longer cost 20 MB of database)
ALTER TABLE dead_letters ADD COLUMN payload_size BIGINT;
ALTER TABLE dead_letters ADD COLUMN payload_sha256 VARCHAR;
"""

_PEOPLE_DRIVE_CASES = """
-- handlers (处置人员) log in: a new role scoped to handling units (scope 'unit'); DuckDB
-- cannot alter a CHECK, so the users table is rebuilt with every row and column kept
CREATE TABLE users_v13 (
    username       VARCHAR PRIMARY KEY,
    display_name   VARCHAR,
    password_hash  VARCHAR NOT NULL,
    role           VARCHAR NOT NULL CHECK (role IN ('operator', 'dispatcher', 'grid_worker',
                   'handler', 'leader', 'emergency', 'admin')),
    scope_kind     VARCHAR NOT NULL
                   CHECK (scope_kind IN ('city', 'district', 'street', 'cells', 'unit')),
    scope_codes    VARCHAR[] NOT NULL,
    language       VARCHAR,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL,
    session_epoch  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO users_v13 SELECT username, display_name, password_hash, role, scope_kind,
    scope_codes, language, disabled, created_at, session_epoch FROM users;
DROP TABLE users;
ALTER TABLE users_v13 RENAME TO users;
-- "assign to me": the dispatcher who took the case into their to-do list
ALTER TABLE cases ADD COLUMN claimed_by VARCHAR;
-- photos: the stored image has no EXIF; where the camera put it is kept here as data
ALTER TABLE case_attachments ADD COLUMN thumb_path VARCHAR;
ALTER TABLE case_attachments ADD COLUMN width INTEGER;
ALTER TABLE case_attachments ADD COLUMN height INTEGER;
ALTER TABLE case_attachments ADD COLUMN sha256 VARCHAR;
ALTER TABLE case_attachments ADD COLUMN taken_lon DOUBLE;
ALTER TABLE case_attachments ADD COLUMN taken_lat DOUBLE;
ALTER TABLE case_attachments ADD COLUMN taken_at TIMESTAMP;
ALTER TABLE case_attachments ADD COLUMN transition_seq INTEGER;  -- the step it documents
-- patrol check-ins (巡查签到) of grid workers: where and when, in or outside their cells
CREATE SEQUENCE patrol_seq;
CREATE TABLE patrol_checkins (
    seq          BIGINT PRIMARY KEY DEFAULT nextval('patrol_seq'),
    username     VARCHAR NOT NULL,
    checked_at   TIMESTAMP NOT NULL,
    lon          DOUBLE NOT NULL,
    lat          DOUBLE NOT NULL,
    accuracy_m   DOUBLE,
    grid_version INTEGER,
    cell_code    VARCHAR,
    in_scope     BOOLEAN NOT NULL,
    note         VARCHAR
);
-- API tokens: only a hash is kept; a token is shown once, when made
CREATE TABLE api_tokens (
    token_id      VARCHAR PRIMARY KEY,
    username      VARCHAR NOT NULL,
    token_hash    VARCHAR NOT NULL UNIQUE,
    label         VARCHAR,
    created_at    TIMESTAMP NOT NULL,
    created_by    VARCHAR NOT NULL,
    last_used_at  TIMESTAMP,
    revoked_at    TIMESTAMP
);
"""

_REPORTED_BY = """
-- the logged-in user who reported the case (field app, API, CLI): they keep seeing it even
-- outside their scope; NULL for machine and public channels (MQTT, files, rules, Open311)
ALTER TABLE cases ADD COLUMN reported_by VARCHAR;
"""

_INDICATOR_VALUES = """
-- figures a city gets from elsewhere (经济运行 from the statistics bureau: GDP growth, retail
-- sales, industrial output), imported from CSV/XLSX: one value per indicator, period label
-- ('2026-11', '2026-Q3', ...) and scope (the city's or a district's code); a later import of
-- the same key replaces the value (revised figures), the audit log keeps who and when
CREATE TABLE indicator_values (
    indicator_id  VARCHAR NOT NULL,
    period        VARCHAR NOT NULL,
    scope_code    VARCHAR NOT NULL,
    value         DOUBLE NOT NULL,
    source        VARCHAR,                 -- the file it came from
    imported_at   TIMESTAMP NOT NULL,
    imported_by   VARCHAR,
    synthetic     BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (indicator_id, period, scope_code)
);
"""

_SATISFACTION = """
-- 12345 回访: the caller's rating of how the case was handled (satisfied / basic / unsatisfied,
-- i.e. 满意 / 基本满意 / 不满意), from a hotline export's follow-up column; NULL where unknown
ALTER TABLE cases ADD COLUMN satisfaction VARCHAR;
ALTER TABLE cases ADD COLUMN rated_at TIMESTAMP;
"""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "geography, grids, users, audit log, dead letters", _GEOGRAPHY),
    Migration(2, "categories, departments, cases and their history", _CASES),
    Migration(3, "sensors, observations, alarms, roads, traffic", _SENSING),
    Migration(4, "incidents, plans, resources, dispatch, CAP alerts", _EMERGENCY),
    Migration(5, "ingest: located unit positions, observation source, file load log", _INGEST),
    Migration(6, "case history records action, role and data", _WORKFLOW),
    Migration(7, "case milestones kept in step with the history", _CASE_CLOCK),
    Migration(8, "change cursor on cases, alarms, incidents, resources and alerts", _CHANGE_CURSOR),
    Migration(9, "case numbers from a sequence; category issues flagged", _CASE_NUMBERS),
    Migration(10, "observations in commit order (seq) and flagged exercise", _OBSERVATION_ORDER),
    Migration(11, "users: session epoch, moved on to end every session", _SESSION_EPOCH),
    Migration(12, "dead letters: original payload size and sha256", _DEAD_LETTER_DIGEST),
    Migration(
        13, "handlers, case claims, photos, patrol check-ins, API tokens", _PEOPLE_DRIVE_CASES
    ),
    Migration(14, "cases: the logged-in user who reported them", _REPORTED_BY),
    Migration(15, "indicator values imported from elsewhere (statistics)", _INDICATOR_VALUES),
    Migration(16, "cases: the caller's satisfaction (12345 回访) and when it was given", _SATISFACTION),
    Migration(17, "emergency command: plan tasks, cameras, outbox, order re-sends, warnings", COMMAND),
    Migration(18, "admin: settings documents, category history, dead-letter re-ingest", ADMIN),
)

LATEST_VERSION = MIGRATIONS[-1].version
