-- Accounts. A user exists only once the phone of registration is verified.
CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    first_name      TEXT NOT NULL,
    last_name       TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    phone           TEXT NOT NULL DEFAULT '',
    mfa_enabled     INTEGER NOT NULL DEFAULT 0,
    verify_identity TEXT NOT NULL UNIQUE,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- Fixed-window counters for every limit: keyed by purpose and subject.
CREATE TABLE counters (
    key          TEXT PRIMARY KEY,
    count        BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX counters_expires ON counters (expires_at);

-- One-time values already spent (CAPTCHA tokens, accepted TOTP codes),
-- stored as keyed hashes until they could no longer be replayed anyway.
CREATE TABLE spent_tokens (
    hash       TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX spent_tokens_expires ON spent_tokens (expires_at);

-- Server-side sessions (the scs store contract).
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BYTEA NOT NULL,
    expiry BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);
