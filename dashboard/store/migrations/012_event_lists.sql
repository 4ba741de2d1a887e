-- Events get the same treatment as articles (011): their tags on the row (tags in display order,
-- tag_keys = lower(tag) in the same order; event_tags stays the record, kept in sync by
-- store.events.save_events), and the table rebuilt in ts order so a time window skips most of it.
CREATE TABLE events_by_time (
    event_id     VARCHAR PRIMARY KEY,
    ts           TIMESTAMPTZ NOT NULL,
    ts_raw       VARCHAR,
    ts_zone      VARCHAR,
    precision    VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    stance       VARCHAR NOT NULL DEFAULT 'neutral',
    actor        VARCHAR,
    source       VARCHAR,
    headline     VARCHAR NOT NULL,
    detail       VARCHAR,
    source_url   VARCHAR,
    article_id   VARCHAR,
    company_id   VARCHAR,
    symbol       VARCHAR,
    value        VARCHAR,
    origin       VARCHAR,
    content_hash VARCHAR NOT NULL,
    ingested_at  TIMESTAMPTZ NOT NULL,
    tags         VARCHAR[] NOT NULL DEFAULT [],
    tag_keys     VARCHAR[] NOT NULL DEFAULT []
);

INSERT INTO events_by_time
SELECT e.event_id, e.ts, e.ts_raw, e.ts_zone, e.precision, e.kind, e.stance, e.actor, e.source,
       e.headline, e.detail, e.source_url, e.article_id, e.company_id, e.symbol, e.value, e.origin,
       e.content_hash, e.ingested_at,
       coalesce(t.tags, []), coalesce(t.tag_keys, [])
FROM events e
LEFT JOIN (
    SELECT event_id,
           list(tag ORDER BY position, tag) AS tags,
           list(lower(tag) ORDER BY position, tag) AS tag_keys
    FROM event_tags GROUP BY event_id
) t ON t.event_id = e.event_id
ORDER BY e.ts, e.event_id;

DROP TABLE events;
ALTER TABLE events_by_time RENAME TO events;
