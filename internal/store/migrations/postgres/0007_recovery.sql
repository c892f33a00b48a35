-- When the owner of an account proved the email address by opening the
-- link sent to it; 0 while unverified.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT NOT NULL DEFAULT 0;

-- Single-use links sent by email (email verification, password reset),
-- stored only as keyed hashes of their tokens. A token works once: it is
-- consumed by one conditional UPDATE of used_at.
CREATE TABLE email_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);
CREATE INDEX email_tokens_expires ON email_tokens (expires_at);
