-- Outcome of each `prices refresh`, so the app can say on screen whether Yahoo was reachable
-- and which bars it is serving.
CREATE TABLE refresh_log (
    checked_at TIMESTAMPTZ NOT NULL,
    status     VARCHAR NOT NULL,   -- offline | fetched | partial | up_to_date | nothing_to_do
    message    VARCHAR NOT NULL
);
