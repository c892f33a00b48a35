-- Sessions keyed by a hash of their token: a read of the database yields no
-- live session. Rows of the old table (plain tokens) are dropped, which signs
-- everyone out once. public_id is the opaque id shown on the sessions page;
-- user_id is '' until the session is signed in.
DROP TABLE sessions;
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    public_id  TEXT NOT NULL UNIQUE,
    data       BYTEA NOT NULL,
    expiry     BIGINT NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_expiry ON sessions (expiry);
CREATE INDEX sessions_user ON sessions (user_id);

-- Browsers that skip the sign-in's second factor ("remember this device"):
-- only the SHA-256 of the cookie's token is kept.
CREATE TABLE remembered_devices (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used  BIGINT NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL
);
CREATE INDEX remembered_devices_user ON remembered_devices (user_id);
CREATE INDEX remembered_devices_expires ON remembered_devices (expires_at);

-- The security activity of each account, kept for the retention period.
CREATE TABLE activity (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    event      TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activity_user_at ON activity (user_id, at);
CREATE INDEX activity_at ON activity (at);

-- Accounts an administrator disabled: they cannot sign in.
CREATE TABLE disabled_accounts (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    disabled_at BIGINT NOT NULL
);
