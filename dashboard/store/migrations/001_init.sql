-- Initial schema (DESIGN.md "Data model"). Every timestamp is TIMESTAMPTZ in UTC; the original
-- text and zone are kept beside it, with a precision (minute | hour | day).

CREATE TABLE companies (
    company_id VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL
);

CREATE TABLE company_aliases (
    company_id VARCHAR NOT NULL,
    alias      VARCHAR NOT NULL,
    PRIMARY KEY (company_id, alias)
);

-- role: listing (a company's own line), benchmark (a market index/ETF), fx (a currency pair).
CREATE TABLE listings (
    symbol           VARCHAR PRIMARY KEY,
    company_id       VARCHAR,
    role             VARCHAR NOT NULL DEFAULT 'listing',
    exchange_mic     VARCHAR,
    currency         VARCHAR,
    tz               VARCHAR,
    shares_per_unit  DOUBLE DEFAULT 1,
    benchmark_symbol VARCHAR,
    name             VARCHAR
);

CREATE TABLE articles (
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
    origin              VARCHAR,   -- file[:line] it was read from
    content_hash        VARCHAR NOT NULL,
    ingested_at         TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ
);

CREATE TABLE article_tags (
    article_id VARCHAR NOT NULL,
    tag        VARCHAR NOT NULL,
    PRIMARY KEY (article_id, tag)
);

-- how: tag | alias | explicit (a `companies` field in JSON/CSV)
CREATE TABLE article_companies (
    article_id VARCHAR NOT NULL,
    company_id VARCHAR NOT NULL,
    how        VARCHAR NOT NULL,
    PRIMARY KEY (article_id, company_id, how)
);

-- kind: allegation | denial | report | statement | analysis | market | context | publication
-- stance: allegation | denial | mixed | neutral
-- Day-precision events hold the start of that day in ts_zone (converted to UTC).
CREATE TABLE events (
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
    ingested_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE event_tags (
    event_id VARCHAR NOT NULL,
    tag      VARCHAR NOT NULL,
    PRIMARY KEY (event_id, tag)
);

-- source: yahoo | import:<file name> | synthetic. FX is stored as bars of its own symbol (HKD=X).
CREATE TABLE bars (
    symbol     VARCHAR NOT NULL,
    interval   VARCHAR NOT NULL,
    ts         TIMESTAMPTZ NOT NULL,
    open       DOUBLE NOT NULL,
    high       DOUBLE NOT NULL,
    low        DOUBLE NOT NULL,
    close      DOUBLE NOT NULL,
    volume     DOUBLE,
    source     VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (symbol, interval, ts)
);
