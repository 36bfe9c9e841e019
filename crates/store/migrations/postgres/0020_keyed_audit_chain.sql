-- Which key the audit chain's hashes are sealed under: the fingerprint of the data key whose
-- derived key makes them (HMAC-SHA-256), or NULL for a chain from before hashes were keyed
-- (plain SHA-256), which `audit::key_chain` verifies and seals at the next start. Named
-- `_tsunagu…`: left out of backups, whose header says instead which key sealed their chain.
CREATE TABLE _tsunagu_audit_chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    keyed_by TEXT
);
INSERT INTO _tsunagu_audit_chain (id, keyed_by) VALUES (1, NULL);
