-- Keep the order authors wrote: tags as listed in the article/timeline row, listings as listed in
-- data/companies.toml (BABA before 9988.HK), so every view shows them the way they were written.
ALTER TABLE article_tags ADD COLUMN position INTEGER DEFAULT 0;
ALTER TABLE event_tags ADD COLUMN position INTEGER DEFAULT 0;
ALTER TABLE listings ADD COLUMN position INTEGER DEFAULT 0;
