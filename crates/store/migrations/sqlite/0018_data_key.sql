-- The data key's check value (keys::check): which key this database belongs to, so a server
-- started with another key is refused. Created here, under the migrations' lock, so servers
-- starting at once never race to create it. Named `_tsunagu…`: left out of backups, whose
-- restored database belongs to the key it was restored with.
CREATE TABLE _tsunagu_data_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    check_value TEXT NOT NULL
);
