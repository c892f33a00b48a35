-- SMS verifications of the embedded engine are bound to what started them:
-- one row per purpose (registration, sign-in, phone change, recovery, step-up)
-- and subject (an account or a registration), so that nothing one flow does
-- can consume, burn or replace the code of another. The phone number stays a
-- column that every check must match. Pending verifications live at most ten
-- minutes, so the old table is simply replaced.
DROP TABLE verify_sms;
CREATE TABLE verify_sms (
    purpose    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    to_number  TEXT NOT NULL,
    sid        TEXT NOT NULL UNIQUE,
    code_hash  BLOB NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved')),
    sends      INTEGER NOT NULL,
    checks     INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (purpose, subject)
);
CREATE INDEX verify_sms_expires ON verify_sms (expires_at);

-- Sign-in throttle per (email as typed, client network), both as HMACs:
-- consecutive failures, guesses being checked right now (inflight, forgotten
-- once inflight_at is a minute old, so a crash cannot leave a slot taken),
-- and the end of the current wait. A row is forgotten at expires_at.
CREATE TABLE login_throttle (
    email_key   TEXT NOT NULL,
    network_key TEXT NOT NULL,
    failures    INTEGER NOT NULL,
    inflight    INTEGER NOT NULL,
    inflight_at BIGINT NOT NULL,
    wait_until  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (email_key, network_key)
);
CREATE INDEX login_throttle_expires ON login_throttle (expires_at);
