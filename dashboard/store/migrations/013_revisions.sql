-- Nothing stored is lost on re-ingest (issue 11): every version of an article or event is kept as
-- a revision, every file or feed that delivered it as an origin, each tag with the origin that
-- gave it, and a removal is an explicit retraction (time and reason) that hides the row.
-- Existing rows become their first revision, delivered by the origin they were read from.

ALTER TABLE articles ADD COLUMN retracted_at TIMESTAMPTZ;
ALTER TABLE articles ADD COLUMN retracted_reason VARCHAR;
ALTER TABLE events ADD COLUMN retracted_at TIMESTAMPTZ;
ALTER TABLE events ADD COLUMN retracted_reason VARCHAR;

-- origin: a file[:line], a feed URL and item, or "rule: <name>" for a tagging rule
ALTER TABLE article_tags ADD COLUMN origin VARCHAR;
ALTER TABLE event_tags ADD COLUMN origin VARCHAR;
UPDATE article_tags SET origin = a.origin FROM articles a WHERE a.article_id = article_tags.article_id;
UPDATE event_tags SET origin = e.origin FROM events e WHERE e.event_id = event_tags.event_id;

-- revision 1 is the first version; changed: the fields that differ from the revision before it.
CREATE TABLE article_revisions (
    article_id          VARCHAR NOT NULL,
    revision            INTEGER NOT NULL,
    title               VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,
    region              VARCHAR,
    published_at        TIMESTAMPTZ NOT NULL,
    published_raw       VARCHAR,
    published_zone      VARCHAR,
    published_precision VARCHAR NOT NULL,
    subtitle            VARCHAR,
    summary             VARCHAR,
    background          VARCHAR,
    insights            VARCHAR,
    body                VARCHAR,
    url                 VARCHAR,
    stance              VARCHAR,
    tags                VARCHAR[] NOT NULL,
    company_ids         VARCHAR[] NOT NULL,
    content_hash        VARCHAR NOT NULL,
    origin              VARCHAR,
    ingested_at         TIMESTAMPTZ NOT NULL,
    changed             VARCHAR[] NOT NULL,
    PRIMARY KEY (article_id, revision)
);

INSERT INTO article_revisions
SELECT article_id, 1, title, source, region, published_at, published_raw, published_zone,
       published_precision, subtitle, summary, background, insights, body, url, stance, tags,
       company_ids, content_hash, origin, coalesce(updated_at, ingested_at), []
FROM articles;

CREATE TABLE event_revisions (
    event_id     VARCHAR NOT NULL,
    revision     INTEGER NOT NULL,
    ts           TIMESTAMPTZ NOT NULL,
    ts_raw       VARCHAR,
    ts_zone      VARCHAR,
    precision    VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    stance       VARCHAR NOT NULL,
    actor        VARCHAR,
    source       VARCHAR,
    headline     VARCHAR NOT NULL,
    detail       VARCHAR,
    source_url   VARCHAR,
    article_id   VARCHAR,
    company_id   VARCHAR,
    symbol       VARCHAR,
    value        VARCHAR,
    tags         VARCHAR[] NOT NULL,
    content_hash VARCHAR NOT NULL,
    origin       VARCHAR,
    ingested_at  TIMESTAMPTZ NOT NULL,
    changed      VARCHAR[] NOT NULL,
    PRIMARY KEY (event_id, revision)
);

INSERT INTO event_revisions
SELECT event_id, 1, ts, ts_raw, ts_zone, precision, kind, stance, actor, source, headline, detail,
       source_url, article_id, company_id, symbol, value, tags, content_hash, origin, ingested_at, []
FROM events;

-- One row per (record, origin, copy): copy_hash is the content hash of the copy as delivered, so
-- a copy delivered again is recognised (and changes nothing).
CREATE TABLE article_origins (
    article_id VARCHAR NOT NULL,
    origin     VARCHAR NOT NULL,
    copy_hash  VARCHAR NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (article_id, origin, copy_hash)
);

INSERT INTO article_origins
SELECT article_id, coalesce(origin, ''), content_hash, ingested_at, coalesce(updated_at, ingested_at)
FROM articles;

CREATE TABLE event_origins (
    event_id   VARCHAR NOT NULL,
    origin     VARCHAR NOT NULL,
    copy_hash  VARCHAR NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (event_id, origin, copy_hash)
);

INSERT INTO event_origins
SELECT event_id, coalesce(origin, ''), content_hash, ingested_at, ingested_at
FROM events;
