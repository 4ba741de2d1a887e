-- Content hashes under one definition that Python and SQL both compute (issue 14; the definition
-- is dashboard/store/hashes.py, and test_hashes.py checks this migration against it). The earlier
-- hash was SHA-256 of canonical JSON, which only Python could compute.
-- Rewritten: every current row and every revision; an origin's copy hash where that copy is a
-- stored revision or the current row (a first delivery always is one of them: a record's only
-- revision is implicit in its row since 023), so re-ingesting the same files reports
-- "unchanged". A sparse copy that never became a revision keeps its old hash: delivered again,
-- it is merged, changes nothing, and is recorded once more under its new hash.
CREATE TEMP MACRO hash_text(x) AS coalesce(CAST(strlen(x) AS VARCHAR) || ':' || x, '~');
CREATE TEMP MACRO hash_time(x) AS hash_text(CAST(epoch_us(x) AS VARCHAR));
CREATE TEMP MACRO hash_list(x) AS '[' || CAST(len(coalesce(x, CAST([] AS VARCHAR[]))) AS VARCHAR)
    || array_to_string(list_transform(coalesce(x, CAST([] AS VARCHAR[])), lambda item: hash_text(item)), '');
CREATE TEMP MACRO article_hash(title, source, region, published_at, published_precision, subtitle,
                               summary, background, insights, body, url, stance, tags, company_ids) AS
    sha256('v2|' || hash_text(title) || hash_text(source) || hash_text(region)
           || hash_time(published_at) || hash_text(published_precision) || hash_text(subtitle)
           || hash_text(summary) || hash_text(background) || hash_text(insights) || hash_text(body)
           || hash_text(url) || hash_text(stance) || hash_list(tags) || hash_list(company_ids));
CREATE TEMP MACRO event_hash(ts, ts_raw, ts_zone, "precision", kind, stance, actor, source, headline,
                             detail, source_url, article_id, company_id, symbol, "value", tags) AS
    sha256('v2|' || hash_time(ts) || hash_text(ts_raw) || hash_text(ts_zone) || hash_text("precision")
           || hash_text(kind) || hash_text(stance) || hash_text(actor) || hash_text(source)
           || hash_text(headline) || hash_text(detail) || hash_text(source_url)
           || hash_text(article_id) || hash_text(company_id) || hash_text(symbol) || hash_text("value")
           || hash_list(tags));

CREATE TEMP TABLE article_hash_map AS
SELECT DISTINCT article_id, content_hash AS old_hash,
       article_hash(title, source, region, published_at, published_precision, subtitle, summary,
                    background, insights, body, url, stance, tags, company_ids) AS new_hash
FROM article_revisions
UNION
SELECT article_id, content_hash,
       article_hash(title, source, region, published_at, published_precision, subtitle, summary,
                    background, insights, body, url, stance, tags, company_ids)
FROM articles;
UPDATE article_origins SET copy_hash = m.new_hash FROM article_hash_map m
WHERE m.article_id = article_origins.article_id AND m.old_hash = article_origins.copy_hash
  AND NOT EXISTS (SELECT 1 FROM article_origins o WHERE o.article_id = m.article_id
                  AND o.origin = article_origins.origin AND o.copy_hash = m.new_hash);
UPDATE article_revisions SET content_hash = article_hash(
    title, source, region, published_at, published_precision, subtitle, summary, background,
    insights, body, url, stance, tags, company_ids);
UPDATE articles SET content_hash = article_hash(
    title, source, region, published_at, published_precision, subtitle, summary, background,
    insights, body, url, stance, tags, company_ids);

CREATE TEMP TABLE event_hash_map AS
SELECT DISTINCT event_id, content_hash AS old_hash,
       event_hash(ts, ts_raw, ts_zone, "precision", kind, stance, actor, source, headline, detail,
                  source_url, article_id, company_id, symbol, "value", tags) AS new_hash
FROM event_revisions
UNION
SELECT event_id, content_hash,
       event_hash(ts, ts_raw, ts_zone, "precision", kind, stance, actor, source, headline, detail,
                  source_url, article_id, company_id, symbol, "value", tags)
FROM events;
UPDATE event_origins SET copy_hash = m.new_hash FROM event_hash_map m
WHERE m.event_id = event_origins.event_id AND m.old_hash = event_origins.copy_hash
  AND NOT EXISTS (SELECT 1 FROM event_origins o WHERE o.event_id = m.event_id
                  AND o.origin = event_origins.origin AND o.copy_hash = m.new_hash);
UPDATE event_revisions SET content_hash = event_hash(
    ts, ts_raw, ts_zone, "precision", kind, stance, actor, source, headline, detail, source_url,
    article_id, company_id, symbol, "value", tags);
UPDATE events SET content_hash = event_hash(
    ts, ts_raw, ts_zone, "precision", kind, stance, actor, source, headline, detail, source_url,
    article_id, company_id, symbol, "value", tags);

DROP TABLE article_hash_map;
DROP TABLE event_hash_map;
DROP MACRO article_hash;
DROP MACRO event_hash;
DROP MACRO hash_list;
DROP MACRO hash_time;
DROP MACRO hash_text;
