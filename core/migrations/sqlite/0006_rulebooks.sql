-- Each organisation's points rulebooks, one row per published version of a
-- year: the TOML as published (its version line set to the row's). The
-- newest version of the nearest organisation up the tree is in force.
CREATE TABLE rulebooks (
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    year          INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    body          TEXT NOT NULL,
    published_by  TEXT NOT NULL,
    published_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, year, version)
);

-- A record's decision, found by the record: the ledgers and the review queue
-- join every record of many members to its review.
CREATE INDEX reviews_record ON reviews(member_id, year, record_id);
