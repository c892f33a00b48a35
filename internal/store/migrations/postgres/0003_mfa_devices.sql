-- The link between an account and its authenticator-app factor at the
-- verify provider: only the factor SID, never the secret.
CREATE TABLE totp_devices (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    factor_sid   TEXT NOT NULL,
    confirmed    INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT NOT NULL DEFAULT 0
);

-- One-time backup codes, stored only as keyed hashes.
CREATE TABLE backup_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
