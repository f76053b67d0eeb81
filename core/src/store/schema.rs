//! The SQLite schema and its migrations, in the application-services shape: `PRAGMA
//! user_version` holds the version, `init` builds a new file, `upgrade_from(v)` moves an old
//! file up one step at a time, and a file from a newer version is refused.

use rusqlite::{Connection, Transaction};

use crate::{Error, Result};

/// The schema version this code writes.
pub const VERSION: i64 = 12;

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

-- One row per record: where its document lives, and the index columns list screens read.
CREATE TABLE docs (
    rid          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    seq          INTEGER NOT NULL,       -- changelog sequence of the last change here
    heads        BLOB NOT NULL,          -- 32-byte change hashes, concatenated
    snapshot     BLOB,                   -- compacted Automerge document
    chunks       INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    conflicts    INTEGER NOT NULL DEFAULT 0,
    title        TEXT,
    form_id      TEXT,
    form_version TEXT,
    status       TEXT,
    subject_id   TEXT,
    k_name       TEXT,
    k_village    TEXT,
    k_phone      TEXT,
    owner        TEXT,
    due          TEXT,
    meeting_id   TEXT
);
CREATE UNIQUE INDEX docs_seq ON docs(seq);
CREATE INDEX docs_kind_updated ON docs(kind, updated_at);
CREATE INDEX docs_form_updated ON docs(form_id, updated_at) WHERE form_id IS NOT NULL;
CREATE INDEX docs_subject ON docs(subject_id) WHERE subject_id IS NOT NULL;
CREATE INDEX docs_name ON docs(k_name) WHERE k_name IS NOT NULL;
CREATE INDEX docs_village ON docs(k_village) WHERE k_village IS NOT NULL;
CREATE INDEX docs_phone ON docs(k_phone) WHERE k_phone IS NOT NULL;
CREATE INDEX docs_owner ON docs(owner) WHERE owner IS NOT NULL;
CREATE INDEX docs_conflicts ON docs(conflicts) WHERE conflicts > 0;

-- Incremental changes appended since the last snapshot; compacted into docs.snapshot.
CREATE TABLE chunks (
    rid  INTEGER NOT NULL,
    n    INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (rid, n)
) WITHOUT ROWID;

-- Received changes whose dependencies have not arrived yet: kept, never dropped.
CREATE TABLE pending (
    doc_id      TEXT NOT NULL,
    hash        BLOB NOT NULL,
    data        BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (doc_id, hash)
) WITHOUT ROWID;
"#;

/// Brings `conn` to [`VERSION`], creating the schema on a new file.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > VERSION {
        return Err(Error::SchemaTooNew { found, supported: VERSION });
    }
    if found == VERSION {
        return Ok(());
    }
    let tx = conn.transaction()?;
    if found == 0 {
        init(&tx)?;
    } else {
        let mut v = found;
        while v < VERSION {
            upgrade_from(&tx, v)?;
            v += 1;
        }
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

fn init(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(V1)?;
    let mut v = 1;
    while v < VERSION {
        upgrade_from(tx, v)?;
        v += 1;
    }
    Ok(())
}

/// Version 2: sync state. `docs.up_heads` holds the heads the upstream peer (the hub) is known
/// to have, so a sync sends exactly the changes since them; `doc_versions` lets a serving
/// store (a hub) answer "changes since the version at cursor C" without per-device state;
/// `changelog` (serving stores) lets a hub recognise a cursor it really issued, so a hub
/// restored from an old copy resets its peers instead of skipping records; `sync_state` holds
/// the upstream peer's cursor.
const V2: &str = r#"
ALTER TABLE docs ADD COLUMN up_heads BLOB;
CREATE INDEX docs_unpushed ON docs(seq) WHERE up_heads IS NOT heads;
CREATE TABLE doc_versions (
    rid   INTEGER NOT NULL,
    seq   INTEGER NOT NULL,
    heads BLOB NOT NULL,
    PRIMARY KEY (rid, seq)
) WITHOUT ROWID;
CREATE TABLE changelog (
    seq INTEGER PRIMARY KEY,
    rid INTEGER NOT NULL
);
CREATE TABLE sync_state (
    peer       TEXT PRIMARY KEY,
    peer_store TEXT,
    cursor     INTEGER NOT NULL DEFAULT 0,
    token      BLOB,
    updated_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
"#;

/// Version 3: a response's review state in the index, so a coordinator's "has issues" list
/// checks a column of each row rather than reading every response's document. Responses stored
/// before it have no value yet (NULL); `list_by_review` reads those from their documents and
/// fills the column in. No index on it: the list walks `docs_kind_updated` newest first, which
/// its ORDER BY needs anyway, and the column costs each row one byte.
const V3: &str = r#"
ALTER TABLE docs ADD COLUMN review INTEGER;    -- ReviewState::code
"#;

/// Version 4: parked changes remember the peer that sent them (name for its quota, and its
/// role and scopes, against which they are checked when they become applicable).
const V4: &str = r#"
ALTER TABLE pending ADD COLUMN peer TEXT;
ALTER TABLE pending ADD COLUMN peer_info TEXT;
CREATE INDEX pending_peer ON pending(peer);
"#;

/// Version 5: a serving store finds the records of a device's scopes changed after its
/// cursor by range scans of (scope, seq), so its cost follows what changed in those scopes and
/// the cursor it hands out need not move past other scopes' changes (which would tell a device
/// how busy the rest of the district is).
const V5: &str = r#"
CREATE INDEX docs_scope_seq ON docs(scope, seq);
"#;

/// Version 6: which enrolled device owns which device id (serving stores; see
/// `store::makers`), so every incoming change is checked with the authority of the device that
/// made it, whoever delivers it.
const V6: &str = r#"
CREATE TABLE device_owners (
    device  BLOB PRIMARY KEY,    -- 16-byte device id, the start of its actor ids
    name    TEXT NOT NULL,       -- the enrolled device's name at the hub
    info    TEXT NOT NULL,       -- its PeerInfo (JSON) when last seen
    seen_at INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Version 7: forms found by id and version without walking every response of the form
/// (responses share `form_id`, so `docs_form_updated` made each lookup cost the form's whole
/// response count; a hub validating each submitted response paid it per record).
const V7: &str = r#"
CREATE INDEX docs_forms ON docs(form_id, form_version) WHERE kind = 'form';
"#;

/// Version 8: signatures of other devices' changes that reached this store in a bundle, kept
/// to hand on with those changes to its hub, which checks them against their makers' keys
/// (ADR 0007). A store's own changes are signed when they leave it.
const V8: &str = r#"
CREATE TABLE change_sigs (
    hash   BLOB PRIMARY KEY,     -- 32-byte change hash
    doc_id TEXT NOT NULL,        -- the record the change belongs to
    sig    BLOB NOT NULL,        -- 64-byte Ed25519 signature by the change's maker
    key    BLOB NOT NULL         -- the maker's 32-byte public key
) WITHOUT ROWID;
CREATE INDEX change_sigs_doc ON change_sigs(doc_id);
"#;

/// Version 9: the coordinator's tables and counts (`store::tables`) read indexes only. A row of
/// `docs` holds its snapshot before the index columns, so a count or filter that read rows
/// walked every response's document bytes (about 350 ms a page at 50,000 responses); these
/// two partial indexes hold every column those queries read (`kind` and `deleted` too, or
/// SQLite reads the row to check them), and the queries name them (`INDEXED BY`).
const V9: &str = r#"
CREATE INDEX docs_responses ON docs(scope, updated_at, status, review, owner, subject_id, id, kind, deleted)
    WHERE kind = 'response' AND deleted = 0;
CREATE INDEX docs_subject_keys ON docs(id, k_village, title, k_name, kind) WHERE kind = 'subject';
"#;

/// Version 10: media (photos, audio, files) beside the records. `media` holds what is known of
/// each file (whole size, bytes stored so far, who sent it), `media_pieces` its bytes in
/// pieces of at most `media::PIECE_BYTES` (appended as they arrive, so a cut transfer resumes),
/// `doc_media` which records refer to which files (from each record's `media` map, kept with
/// its index row), and `media_sent` which files the upstream hub has whole.
const V10: &str = r#"
CREATE TABLE media (
    name         TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    have         INTEGER NOT NULL DEFAULT 0,
    pieces       INTEGER NOT NULL DEFAULT 0,
    complete     INTEGER NOT NULL DEFAULT 0,
    mime         TEXT,
    source       TEXT,
    added_at     INTEGER NOT NULL,
    touched_at   INTEGER NOT NULL,
    orphan_since INTEGER
) WITHOUT ROWID;
CREATE INDEX media_source ON media(source) WHERE source IS NOT NULL;
CREATE TABLE media_pieces (
    name TEXT NOT NULL,
    n    INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (name, n)
) WITHOUT ROWID;
CREATE TABLE doc_media (
    name TEXT NOT NULL,
    rid  INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mime TEXT,
    PRIMARY KEY (name, rid)
) WITHOUT ROWID;
CREATE INDEX doc_media_rid ON doc_media(rid);
CREATE TABLE media_sent (
    name TEXT NOT NULL,
    peer TEXT NOT NULL,
    PRIMARY KEY (name, peer)
) WITHOUT ROWID;
"#;

/// Version 11: the console overview's response counts, kept by triggers on `docs` so that
/// every write (the index writer, a review column filled in, a delete) keeps them exact in
/// its own transaction, and the overview reads a few thousand count rows instead of scanning
/// every response. `response_counts` holds, per scope, UTC day of the last change and field
/// worker, the live responses submitted, drafts, submitted ones awaiting review, and those
/// with issues; `subject_response_counts` the submitted ones per subject (the overview's
/// per-village counts join these to the subjects). A change that moves nothing counted (an
/// edit on the same day) fires no trigger body. `docs_subject_seq` gives the last change to
/// any subject at once, so a duplicate search is kept until a subject changes. `views` keeps
/// the reading of records slow to load (meetings with long minutes) with the heads it was read
/// at; a reading whose heads are not the record's is not used.
const V11: &str = r#"
CREATE INDEX docs_subject_seq ON docs(seq) WHERE kind = 'subject';
CREATE TABLE views (
    rid   INTEGER PRIMARY KEY,
    heads BLOB NOT NULL,
    data  BLOB NOT NULL
);
CREATE TABLE response_counts (
    scope     TEXT NOT NULL,
    day       INTEGER NOT NULL,
    owner     TEXT NOT NULL,
    submitted INTEGER NOT NULL,
    drafts    INTEGER NOT NULL,
    awaiting  INTEGER NOT NULL,
    issues    INTEGER NOT NULL,
    PRIMARY KEY (scope, day, owner)
) WITHOUT ROWID;
CREATE TABLE subject_response_counts (
    scope      TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    submitted  INTEGER NOT NULL,
    PRIMARY KEY (scope, subject_id)
) WITHOUT ROWID;
INSERT INTO response_counts
    SELECT scope, updated_at / 86400000, coalesce(owner, '?'), coalesce(sum(status = 'submitted'), 0),
           coalesce(sum(status = 'draft'), 0), coalesce(sum(status = 'submitted' AND (review IS NULL OR review = 0)), 0),
           coalesce(sum(review = 1), 0)
    FROM docs WHERE kind = 'response' AND deleted = 0 GROUP BY 1, 2, 3;
INSERT INTO subject_response_counts
    SELECT scope, coalesce(subject_id, ''), coalesce(sum(status = 'submitted'), 0)
    FROM docs WHERE kind = 'response' AND deleted = 0 GROUP BY 1, 2;
CREATE TRIGGER docs_counts_insert AFTER INSERT ON docs WHEN new.kind = 'response' AND new.deleted = 0 BEGIN
    INSERT INTO response_counts VALUES (new.scope, new.updated_at / 86400000, coalesce(new.owner, '?'),
        coalesce(new.status = 'submitted', 0), coalesce(new.status = 'draft', 0),
        coalesce(new.status = 'submitted' AND (new.review IS NULL OR new.review = 0), 0), coalesce(new.review = 1, 0))
    ON CONFLICT (scope, day, owner) DO UPDATE SET submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts,
        awaiting = awaiting + excluded.awaiting, issues = issues + excluded.issues;
    INSERT INTO subject_response_counts VALUES (new.scope, coalesce(new.subject_id, ''), coalesce(new.status = 'submitted', 0))
    ON CONFLICT (scope, subject_id) DO UPDATE SET submitted = submitted + excluded.submitted;
END;
CREATE TRIGGER docs_counts_delete AFTER DELETE ON docs WHEN old.kind = 'response' AND old.deleted = 0 BEGIN
    UPDATE response_counts SET submitted = submitted - coalesce(old.status = 'submitted', 0),
        drafts = drafts - coalesce(old.status = 'draft', 0),
        awaiting = awaiting - coalesce(old.status = 'submitted' AND (old.review IS NULL OR old.review = 0), 0),
        issues = issues - coalesce(old.review = 1, 0)
    WHERE scope = old.scope AND day = old.updated_at / 86400000 AND owner = coalesce(old.owner, '?');
    UPDATE subject_response_counts SET submitted = submitted - coalesce(old.status = 'submitted', 0)
    WHERE scope = old.scope AND subject_id = coalesce(old.subject_id, '');
END;
CREATE TRIGGER docs_counts_update AFTER UPDATE OF kind, scope, updated_at, owner, status, review, deleted, subject_id ON docs
WHEN (old.kind = 'response' AND old.deleted = 0 OR new.kind = 'response' AND new.deleted = 0)
    AND (old.kind IS NOT new.kind OR old.deleted IS NOT new.deleted OR old.scope IS NOT new.scope
        OR old.updated_at / 86400000 IS NOT new.updated_at / 86400000 OR old.owner IS NOT new.owner
        OR old.status IS NOT new.status OR old.review IS NOT new.review OR old.subject_id IS NOT new.subject_id)
BEGIN
    UPDATE response_counts SET submitted = submitted - coalesce(old.status = 'submitted', 0),
        drafts = drafts - coalesce(old.status = 'draft', 0),
        awaiting = awaiting - coalesce(old.status = 'submitted' AND (old.review IS NULL OR old.review = 0), 0),
        issues = issues - coalesce(old.review = 1, 0)
    WHERE old.kind = 'response' AND old.deleted = 0
        AND scope = old.scope AND day = old.updated_at / 86400000 AND owner = coalesce(old.owner, '?');
    UPDATE subject_response_counts SET submitted = submitted - coalesce(old.status = 'submitted', 0)
    WHERE old.kind = 'response' AND old.deleted = 0 AND scope = old.scope AND subject_id = coalesce(old.subject_id, '');
    INSERT INTO response_counts SELECT new.scope, new.updated_at / 86400000, coalesce(new.owner, '?'),
        coalesce(new.status = 'submitted', 0), coalesce(new.status = 'draft', 0),
        coalesce(new.status = 'submitted' AND (new.review IS NULL OR new.review = 0), 0), coalesce(new.review = 1, 0)
    WHERE new.kind = 'response' AND new.deleted = 0
    ON CONFLICT (scope, day, owner) DO UPDATE SET submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts,
        awaiting = awaiting + excluded.awaiting, issues = issues + excluded.issues;
    INSERT INTO subject_response_counts SELECT new.scope, coalesce(new.subject_id, ''), coalesce(new.status = 'submitted', 0)
    WHERE new.kind = 'response' AND new.deleted = 0
    ON CONFLICT (scope, subject_id) DO UPDATE SET submitted = submitted + excluded.submitted;
END;
"#;

/// Version 12: credentials (ADR 0007, step 3) a device holds: its own, issued by its hub, and
/// those of other devices that came verified in bundles, which it hands on with their makers'
/// changes. Each is kept with its issuer's key and expiry; only those of the device's current
/// hub that have not expired count.
const V12: &str = r#"
CREATE TABLE credentials (
    device     BLOB PRIMARY KEY,
    issuer     BLOB NOT NULL,
    expires_ms INTEGER NOT NULL,
    signed     BLOB NOT NULL
) WITHOUT ROWID;
"#;

fn upgrade_from(tx: &Transaction<'_>, v: i64) -> Result<()> {
    match v {
        11 => Ok(tx.execute_batch(V12)?),
        10 => Ok(tx.execute_batch(V11)?),
        9 => Ok(tx.execute_batch(V10)?),
        8 => Ok(tx.execute_batch(V9)?),
        7 => Ok(tx.execute_batch(V8)?),
        6 => Ok(tx.execute_batch(V7)?),
        5 => Ok(tx.execute_batch(V6)?),
        4 => Ok(tx.execute_batch(V5)?),
        1 => Ok(tx.execute_batch(V2)?),
        2 => Ok(tx.execute_batch(V3)?),
        3 => Ok(tx.execute_batch(V4)?),
        other => Err(Error::invalid(format!("no migration from schema version {other}"))),
    }
}
