-- The article and event record tables without PRIMARY KEY constraints (issue 14).
-- Measured: a large ingest is written in transactions of about 10,000 articles, each on its own
-- connection so the app can read between them (docs/ingest.md). At 1M articles, 5,000 more on a
-- fresh connection took 5.8 s with the key indexes and 1.0 s without, and the cost with them grows
-- with the tables (python -m dashboard.bench.ingest_parts checkpoint; docs/ingest.md). Keys stay unique because there is one writer and every write path checks the
-- store first: ids are looked up before a copy is added (ingest.plan), revisions are numbered from
-- the stored count, origins are inserted with an anti-join, tags are replaced per record
-- (store.history). test_ingest_bulk.py checks every table for duplicate keys after its ingests.
-- Rows keep their order: articles and events in time order (row groups skipped by date), the
-- rest as they were (an article's company links are read in rowid order).

CREATE TABLE articles_unkeyed (article_id VARCHAR NOT NULL, title VARCHAR NOT NULL, "source" VARCHAR NOT NULL, region VARCHAR, published_at TIMESTAMPTZ NOT NULL, published_raw VARCHAR, published_zone VARCHAR, published_precision VARCHAR DEFAULT 'minute' NOT NULL, subtitle VARCHAR, summary VARCHAR, background VARCHAR, insights VARCHAR, body VARCHAR, url VARCHAR, stance VARCHAR, origin VARCHAR, content_hash VARCHAR NOT NULL, ingested_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ, tags VARCHAR[] DEFAULT [] NOT NULL, tag_keys VARCHAR[] DEFAULT [] NOT NULL, company_ids VARCHAR[] DEFAULT [] NOT NULL, company_keys VARCHAR[] DEFAULT [] NOT NULL, retracted_at TIMESTAMPTZ, retracted_reason VARCHAR);
INSERT INTO articles_unkeyed SELECT * FROM articles ORDER BY published_at, article_id;
DROP TABLE articles;
ALTER TABLE articles_unkeyed RENAME TO articles;

CREATE TABLE events_unkeyed (event_id VARCHAR NOT NULL, ts TIMESTAMPTZ NOT NULL, ts_raw VARCHAR, ts_zone VARCHAR, "precision" VARCHAR NOT NULL, kind VARCHAR NOT NULL, stance VARCHAR DEFAULT 'neutral' NOT NULL, actor VARCHAR, "source" VARCHAR, headline VARCHAR NOT NULL, detail VARCHAR, source_url VARCHAR, article_id VARCHAR, company_id VARCHAR, symbol VARCHAR, "value" VARCHAR, origin VARCHAR, content_hash VARCHAR NOT NULL, ingested_at TIMESTAMPTZ NOT NULL, tags VARCHAR[] DEFAULT [] NOT NULL, tag_keys VARCHAR[] DEFAULT [] NOT NULL, retracted_at TIMESTAMPTZ, retracted_reason VARCHAR);
INSERT INTO events_unkeyed SELECT * FROM events ORDER BY ts, event_id;
DROP TABLE events;
ALTER TABLE events_unkeyed RENAME TO events;

CREATE TABLE article_tags_unkeyed (article_id VARCHAR NOT NULL, tag VARCHAR NOT NULL, "position" INTEGER DEFAULT 0, origin VARCHAR);
INSERT INTO article_tags_unkeyed SELECT * FROM article_tags ORDER BY rowid;
DROP TABLE article_tags;
ALTER TABLE article_tags_unkeyed RENAME TO article_tags;

CREATE TABLE event_tags_unkeyed (event_id VARCHAR NOT NULL, tag VARCHAR NOT NULL, "position" INTEGER DEFAULT 0, origin VARCHAR);
INSERT INTO event_tags_unkeyed SELECT * FROM event_tags ORDER BY rowid;
DROP TABLE event_tags;
ALTER TABLE event_tags_unkeyed RENAME TO event_tags;

CREATE TABLE article_companies_unkeyed (article_id VARCHAR NOT NULL, company_id VARCHAR NOT NULL, how VARCHAR NOT NULL);
INSERT INTO article_companies_unkeyed SELECT * FROM article_companies ORDER BY rowid;
DROP TABLE article_companies;
ALTER TABLE article_companies_unkeyed RENAME TO article_companies;

CREATE TABLE article_revisions_unkeyed (article_id VARCHAR NOT NULL, revision INTEGER NOT NULL, title VARCHAR NOT NULL, "source" VARCHAR NOT NULL, region VARCHAR, published_at TIMESTAMPTZ NOT NULL, published_raw VARCHAR, published_zone VARCHAR, published_precision VARCHAR NOT NULL, subtitle VARCHAR, summary VARCHAR, background VARCHAR, insights VARCHAR, body VARCHAR, url VARCHAR, stance VARCHAR, tags VARCHAR[] NOT NULL, company_ids VARCHAR[] NOT NULL, content_hash VARCHAR NOT NULL, origin VARCHAR, ingested_at TIMESTAMPTZ NOT NULL, changed VARCHAR[] NOT NULL);
INSERT INTO article_revisions_unkeyed SELECT * FROM article_revisions ORDER BY rowid;
DROP TABLE article_revisions;
ALTER TABLE article_revisions_unkeyed RENAME TO article_revisions;

CREATE TABLE event_revisions_unkeyed (event_id VARCHAR NOT NULL, revision INTEGER NOT NULL, ts TIMESTAMPTZ NOT NULL, ts_raw VARCHAR, ts_zone VARCHAR, "precision" VARCHAR NOT NULL, kind VARCHAR NOT NULL, stance VARCHAR NOT NULL, actor VARCHAR, "source" VARCHAR, headline VARCHAR NOT NULL, detail VARCHAR, source_url VARCHAR, article_id VARCHAR, company_id VARCHAR, symbol VARCHAR, "value" VARCHAR, tags VARCHAR[] NOT NULL, content_hash VARCHAR NOT NULL, origin VARCHAR, ingested_at TIMESTAMPTZ NOT NULL, changed VARCHAR[] NOT NULL);
INSERT INTO event_revisions_unkeyed SELECT * FROM event_revisions ORDER BY rowid;
DROP TABLE event_revisions;
ALTER TABLE event_revisions_unkeyed RENAME TO event_revisions;

CREATE TABLE article_origins_unkeyed (article_id VARCHAR NOT NULL, origin VARCHAR NOT NULL, copy_hash VARCHAR NOT NULL, first_seen TIMESTAMPTZ NOT NULL, last_seen TIMESTAMPTZ NOT NULL);
INSERT INTO article_origins_unkeyed SELECT * FROM article_origins ORDER BY rowid;
DROP TABLE article_origins;
ALTER TABLE article_origins_unkeyed RENAME TO article_origins;

CREATE TABLE event_origins_unkeyed (event_id VARCHAR NOT NULL, origin VARCHAR NOT NULL, copy_hash VARCHAR NOT NULL, first_seen TIMESTAMPTZ NOT NULL, last_seen TIMESTAMPTZ NOT NULL);
INSERT INTO event_origins_unkeyed SELECT * FROM event_origins ORDER BY rowid;
DROP TABLE event_origins;
ALTER TABLE event_origins_unkeyed RENAME TO event_origins;
