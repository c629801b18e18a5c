-- kratom-nlp serve: the first schema. One row per analysed article (the analysis contract as
-- JSON plus the figures the list page sorts and shows), the current review of each claim, and an
-- append-only log of every review change.

CREATE TABLE articles (
    id             TEXT PRIMARY KEY,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    source         TEXT NOT NULL,
    title          TEXT,
    media_type     TEXT NOT NULL,
    text_sha256    TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    model_version  TEXT NOT NULL,
    analysis       TEXT NOT NULL,           -- the analysis contract (JSON)
    claims         INTEGER NOT NULL,
    overclaims     INTEGER NOT NULL,
    support_score  REAL NOT NULL,
    verdict        TEXT NOT NULL
);
CREATE INDEX articles_by_text ON articles (text_sha256);
CREATE INDEX articles_by_time ON articles (created_at);

CREATE TABLE reviews (
    article_id  TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    claim_id    TEXT NOT NULL,
    claim_start INTEGER NOT NULL,           -- the claim as reviewed (offsets into the text)
    claim_end   INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    evidence    TEXT,                       -- NULL: the pipeline's level stands
    strength    TEXT,                       -- NULL: the pipeline's strength stands
    overclaim   INTEGER CHECK (overclaim IN (0, 1)),  -- NULL: the pipeline's flag stands
    cues        TEXT,                       -- JSON list of cues when the review changed them
    note        TEXT,
    reviewer    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (article_id, claim_id)
);

CREATE TABLE review_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    claim_id   TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('save', 'clear')),
    review     TEXT,                        -- the review as saved (JSON); NULL for 'clear'
    at         TEXT NOT NULL
);
CREATE INDEX review_log_by_article ON review_log (article_id, seq);
