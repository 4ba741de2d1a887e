-- Each article's tags and companies also live on its own row, as lists, so a filter reads one
-- table instead of semi-joining article_tags/article_companies (5M rows at 1M articles).
-- article_tags and article_companies stay the record; these lists are a copy kept in sync by
-- store.articles.save_articles (a row written without them has none: DEFAULT []). tags: display
-- order; tag_keys: lower(tag) in the same order;
-- company_ids / company_keys: distinct and sorted (keys lower-cased).
-- The table is rebuilt rather than UPDATEd (an UPDATE of 1M rows with lists takes minutes), in
-- published_at order, so that DuckDB's per-row-group min/max skips most of it for a date window.
CREATE TABLE articles_by_time (
    article_id          VARCHAR PRIMARY KEY,
    title               VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,
    region              VARCHAR,
    published_at        TIMESTAMPTZ NOT NULL,
    published_raw       VARCHAR,
    published_zone      VARCHAR,
    published_precision VARCHAR NOT NULL DEFAULT 'minute',
    subtitle            VARCHAR,
    summary             VARCHAR,
    background          VARCHAR,
    insights            VARCHAR,
    body                VARCHAR,
    url                 VARCHAR,
    stance              VARCHAR,
    origin              VARCHAR,
    content_hash        VARCHAR NOT NULL,
    ingested_at         TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ,
    tags                VARCHAR[] NOT NULL DEFAULT [],
    tag_keys            VARCHAR[] NOT NULL DEFAULT [],
    company_ids         VARCHAR[] NOT NULL DEFAULT [],
    company_keys        VARCHAR[] NOT NULL DEFAULT []
);

INSERT INTO articles_by_time
SELECT a.article_id, a.title, a.source, a.region, a.published_at, a.published_raw, a.published_zone,
       a.published_precision, a.subtitle, a.summary, a.background, a.insights, a.body, a.url,
       a.stance, a.origin, a.content_hash, a.ingested_at, a.updated_at,
       coalesce(t.tags, []), coalesce(t.tag_keys, []),
       coalesce(c.company_ids, []), coalesce(c.company_keys, [])
FROM articles a
LEFT JOIN (
    SELECT article_id,
           list(tag ORDER BY position, tag) AS tags,
           list(lower(tag) ORDER BY position, tag) AS tag_keys
    FROM article_tags GROUP BY article_id
) t ON t.article_id = a.article_id
LEFT JOIN (
    SELECT article_id,
           list(DISTINCT company_id ORDER BY company_id) AS company_ids,
           list(DISTINCT lower(company_id) ORDER BY lower(company_id)) AS company_keys
    FROM article_companies GROUP BY article_id
) c ON c.article_id = a.article_id
ORDER BY a.published_at, a.article_id;

DROP TABLE articles;
ALTER TABLE articles_by_time RENAME TO articles;
