-- SMS verifications of the embedded verify engine (package verify/local):
-- one row per destination number, as Twilio Verify keeps one verification per
-- number. The code exists only as HMAC-SHA256(key, sid || code).
CREATE TABLE verify_sms (
    to_number  TEXT PRIMARY KEY,
    sid        TEXT NOT NULL UNIQUE,
    code_hash  BYTEA NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved')),
    sends      INTEGER NOT NULL,
    checks     INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX verify_sms_expires ON verify_sms (expires_at);

-- TOTP factors of the embedded engine. The secret is sealed with AES-256-GCM
-- (nonce || ciphertext, the factor sid as additional data). last_used_step
-- refuses a replayed code; failures and last_failure_at count wrong codes.
CREATE TABLE verify_totp_factors (
    sid             TEXT PRIMARY KEY,
    identity        TEXT NOT NULL,
    friendly_name   TEXT NOT NULL,
    secret_sealed   BYTEA NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('unverified', 'verified')),
    failures        INTEGER NOT NULL DEFAULT 0,
    last_failure_at BIGINT NOT NULL DEFAULT 0,
    last_used_step  BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    verified_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX verify_totp_factors_identity ON verify_totp_factors (identity);
CREATE INDEX verify_totp_factors_expires ON verify_totp_factors (status, expires_at);
