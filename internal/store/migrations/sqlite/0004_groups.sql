-- The groups of an account, as the access rules name them ("group:NAME")
-- and the authorisation endpoints report them in Remote-Groups.
CREATE TABLE user_groups (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
);
