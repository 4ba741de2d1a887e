-- Revision 1 of a record with a single version is implicit in its current row (issue 29): a new
-- article costs one row per table, not a second copy of its text in article_revisions (and of its
-- publication event in event_revisions). store.history.first_revision_sql is the definition
-- readers use; this deletes the revision-1 rows that say exactly what it derives, for records that
-- have no other revision. A record with more revisions keeps every row; a revision-1 row that
-- differs from its current row in any column is kept too (the readers prefer rows to the
-- derivation). Deleting what is already gone deletes nothing, so running it again is harmless.

CREATE TEMP TABLE implicit_article_revisions AS
SELECT r.article_id
FROM article_revisions r JOIN articles t ON t.article_id = r.article_id
WHERE r.revision = 1
  AND r.article_id NOT IN (SELECT article_id FROM article_revisions WHERE revision <> 1)
  AND r.title IS NOT DISTINCT FROM t.title AND r.source IS NOT DISTINCT FROM t.source
  AND r.region IS NOT DISTINCT FROM t.region AND r.published_at IS NOT DISTINCT FROM t.published_at
  AND r.published_raw IS NOT DISTINCT FROM t.published_raw
  AND r.published_zone IS NOT DISTINCT FROM t.published_zone
  AND r.published_precision IS NOT DISTINCT FROM t.published_precision
  AND r.subtitle IS NOT DISTINCT FROM t.subtitle AND r.summary IS NOT DISTINCT FROM t.summary
  AND r.background IS NOT DISTINCT FROM t.background AND r.insights IS NOT DISTINCT FROM t.insights
  AND r.body IS NOT DISTINCT FROM t.body AND r.url IS NOT DISTINCT FROM t.url
  AND r.stance IS NOT DISTINCT FROM t.stance AND r.tags IS NOT DISTINCT FROM t.tags
  AND r.company_ids IS NOT DISTINCT FROM t.company_ids
  AND r.content_hash IS NOT DISTINCT FROM t.content_hash AND r.origin IS NOT DISTINCT FROM t.origin
  AND r.ingested_at IS NOT DISTINCT FROM coalesce(t.updated_at, t.ingested_at)
  AND len(r.changed) = 0;
DELETE FROM article_revisions
WHERE revision = 1 AND article_id IN (SELECT article_id FROM implicit_article_revisions);
DROP TABLE implicit_article_revisions;

CREATE TEMP TABLE implicit_event_revisions AS
SELECT r.event_id
FROM event_revisions r JOIN events t ON t.event_id = r.event_id
WHERE r.revision = 1
  AND r.event_id NOT IN (SELECT event_id FROM event_revisions WHERE revision <> 1)
  AND r.ts IS NOT DISTINCT FROM t.ts AND r.ts_raw IS NOT DISTINCT FROM t.ts_raw
  AND r.ts_zone IS NOT DISTINCT FROM t.ts_zone AND r."precision" IS NOT DISTINCT FROM t."precision"
  AND r.kind IS NOT DISTINCT FROM t.kind AND r.stance IS NOT DISTINCT FROM t.stance
  AND r.actor IS NOT DISTINCT FROM t.actor AND r.source IS NOT DISTINCT FROM t.source
  AND r.headline IS NOT DISTINCT FROM t.headline AND r.detail IS NOT DISTINCT FROM t.detail
  AND r.source_url IS NOT DISTINCT FROM t.source_url AND r.article_id IS NOT DISTINCT FROM t.article_id
  AND r.company_id IS NOT DISTINCT FROM t.company_id AND r.symbol IS NOT DISTINCT FROM t.symbol
  AND r."value" IS NOT DISTINCT FROM t."value" AND r.tags IS NOT DISTINCT FROM t.tags
  AND r.content_hash IS NOT DISTINCT FROM t.content_hash AND r.origin IS NOT DISTINCT FROM t.origin
  AND r.ingested_at IS NOT DISTINCT FROM t.ingested_at
  AND len(r.changed) = 0;
DELETE FROM event_revisions
WHERE revision = 1 AND event_id IN (SELECT event_id FROM implicit_event_revisions);
DROP TABLE implicit_event_revisions;
