-- Each successful `news fetch` (or the news part of `make run`), so the app can say when news was
-- last fetched from Yahoo. A failed fetch stores nothing, this row included.
CREATE TABLE news_fetch_log (
    fetched_at TIMESTAMPTZ NOT NULL,
    symbols    VARCHAR[] NOT NULL,
    items      INTEGER NOT NULL,     -- stories Yahoo returned (after skipping videos and ads)
    message    VARCHAR NOT NULL
);
