"""The Yahoo price adapter. ``download_from_yahoo`` is its only network call (the project's
others: ``news.yahoo.get_news_from_yahoo`` for news, and the lake's catalog and warehouse in team
mode); ``fetch`` wraps it with the interval policy, chunking, normalising, retries and storing,
and every part of ``fetch`` runs for real in tests with yfinance-shaped frames injected.

A failed or empty download never deletes or overwrites cached bars: only bars that arrived are
upserted, and the report says what the cache still holds.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Callable

import pandas as pd

from dashboard import config, markets, store
from dashboard.timeutil import to_utc, window
from dashboard.prices import normalise as norm
from dashboard.prices import policy
from dashboard.store import bars as bar_store
from dashboard.store import companies

SOURCE = "yahoo"
ATTEMPTS = 3             # per request, counting the first
CONNECTION_BACKOFF = 0.5  # seconds, doubled after each failed attempt
RATE_LIMIT_BACKOFF = 2.0

# (symbol, start, end, interval, prepost) -> a yfinance-shaped frame
Download = Callable[[str, pd.Timestamp, pd.Timestamp, str, bool], pd.DataFrame]


def download_from_yahoo(symbol: str, start: pd.Timestamp, end: pd.Timestamp, interval: str,
                        prepost: bool = False) -> pd.DataFrame:
    """One yfinance request (raw OHLCV, exchange zone on the index); ``prepost`` adds the
    pre-market and after-hours bars (US listings' intraday requests)."""
    import yfinance as yf

    cache = Path(config.CACHE_DIR) / "yfinance"
    cache.mkdir(parents=True, exist_ok=True)
    yf.set_tz_cache_location(str(cache))  # keep yfinance's cache out of the home directory
    logging.getLogger("yfinance").setLevel(logging.CRITICAL)  # we report failures ourselves
    from yfinance.exceptions import YFPricesMissingError

    # Raise instead of hiding: offline, history() would otherwise log the DNS error and return
    # an empty frame, indistinguishable from "no bars in this window".
    yf.config.debug.hide_exceptions = False
    try:
        return yf.Ticker(symbol).history(
            start=start.to_pydatetime(), end=end.to_pydatetime(), interval=interval,
            auto_adjust=False, prepost=prepost, actions=False,
        )
    except YFPricesMissingError:
        return pd.DataFrame()  # Yahoo answered: no bars for this window


class Unreachable(Exception):
    """Yahoo could not be reached (DNS, connection, timeout) after the retries."""


class RateLimited(Exception):
    """Yahoo kept answering 'Too Many Requests' after the retries."""


def _is_rate_limit(exc: BaseException) -> bool:
    try:
        from yfinance.exceptions import YFRateLimitError
    except ImportError:  # pragma: no cover - yfinance is a dependency
        return False
    return isinstance(exc, YFRateLimitError)


def with_retries(call: Callable[[], pd.DataFrame], sleep: Callable[[float], None],
                  attempts: int = ATTEMPTS) -> pd.DataFrame:
    """Run ``call``; retry connection and rate-limit errors with doubling backoff."""
    lost_connection = False
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - classified below, others re-raised
            if _is_rate_limit(exc):
                failure, base = RateLimited, RATE_LIMIT_BACKOFF
            elif isinstance(exc, OSError):  # curl_cffi DNSError/ConnectionError, TimeoutError
                failure, base = Unreachable, CONNECTION_BACKOFF
                lost_connection = True
            elif lost_connection:
                # yfinance remembers the failed time-zone lookup, so a retry after a DNS error
                # says "no timezone found": that is still the network, not the symbol.
                raise Unreachable(str(exc)) from exc
            else:
                raise
            if attempt == attempts - 1:
                raise failure(str(exc)) from exc
            sleep(base * 2 ** attempt)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclasses.dataclass
class SymbolReport:
    symbol: str
    status: str          # stored | empty | unreachable | rate_limited | refused | error
    interval: str | None
    rows: int            # bars written to the cache
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "stored"


@dataclasses.dataclass
class FetchResult:
    reports: list[SymbolReport]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    @property
    def unreachable(self) -> bool:
        return any(r.status == "unreachable" for r in self.reports)

    def lines(self) -> list[str]:
        return [r.message for r in self.reports]


def _cached_note(db: store.Database, symbol: str) -> str:
    """'using cached 1m bars 2025-11-10..2025-11-28' (finest interval), or 'no cached bars'."""
    if not db.exists():
        return "no cached bars"
    with db.read() as con:
        cov = bar_store.coverage(con)
    cov = cov[cov["symbol"] == symbol]
    if cov.empty:
        return "no cached bars"
    finest = min(cov["interval"], key=bar_store.interval_length)
    rows = cov[cov["interval"] == finest]
    first, last = rows["first_ts"].min(), rows["last_ts"].max()
    sources = [config.SYNTHETIC_LABEL if s == bar_store.SYNTHETIC else s for s in sorted(set(rows["source"]))]
    return f"using cached {finest} bars {first:%Y-%m-%d}..{last:%Y-%m-%d} ({'; '.join(sources)})"


def fetch(symbols, start, end, interval: str = "auto", *, download: Download | None = None,
          db=None, now=None, sleep: Callable[[float], None] = time.sleep,
          progress: Callable[[str], None] | None = None) -> FetchResult:
    """Fetch bars for ``symbols`` over ``[start, end)`` and upsert them into ``db`` (a Database,
    a path, or None for the default).

    ``download`` replaces the network call (tests); ``now`` fixes the clock for the interval
    policy. Each symbol gets a report line; nothing cached is removed when a download fails.
    """
    download = download or download_from_yahoo
    db = store.as_database(db)
    lo, hi = window(start, end)
    now = to_utc(now if now is not None else pd.Timestamp.now("UTC"))
    if isinstance(symbols, str):
        symbols = [symbols]
    reports: list[SymbolReport] = []
    offline = False
    for symbol in symbols:
        if offline:  # one unreachable symbol means the network is down: don't wait again
            reports.append(SymbolReport(symbol, "unreachable", None, 0,
                                        f"{symbol}: Yahoo unreachable — {_cached_note(db, symbol)}"))
            continue
        report = _fetch_symbol(symbol, lo, hi, interval, download, db, now, sleep, progress)
        offline = report.status == "unreachable"
        reports.append(report)
    return FetchResult(reports)


def _market_of(db: store.Database, symbol: str) -> str | None:
    """The symbol's exchange MIC from the stored listings (None when it is not registered)."""
    try:
        with db.read() as con:
            mics = markets.listing_mics(companies.listings(con, roles=None))
    except store.DatabaseMissing:
        return None
    return mics.get(symbol)


def _span(lo: pd.Timestamp, hi: pd.Timestamp) -> str:
    """'2025-11-14..2025-11-15' for the window [lo, hi) (the end day shown inclusively)."""
    return f"{lo:%Y-%m-%d}..{hi - pd.Timedelta(microseconds=1):%Y-%m-%d}"


def _fetch_symbol(symbol, lo, hi, interval, download, db, now, sleep, progress) -> SymbolReport:
    try:
        chosen = policy.choose_interval(lo, hi, now, interval)
    except policy.IntervalUnavailable as exc:
        return SymbolReport(symbol, "refused", interval, 0, f"{symbol}: {exc}")
    spans = policy.chunks(lo, min(hi, now), chosen)
    prepost = policy.wants_prepost(_market_of(db, symbol), chosen)
    if progress:
        progress(f"{symbol}: fetching {_span(lo, hi)} at {chosen} "
                 f"({len(spans)} request{'s' if len(spans) != 1 else ''})")
    frames, failure = [], None
    for span_start, span_end in spans:
        try:
            raw = with_retries(lambda: download(symbol, span_start, span_end, chosen, prepost), sleep)
            frames.append(norm.normalise(raw, symbol))
        except Unreachable:
            failure = ("unreachable", "Yahoo unreachable")
            break
        except RateLimited:
            failure = ("rate_limited", "Yahoo rate limit (too many requests), retried "
                                       f"{ATTEMPTS} times")
            break
        except ValueError as exc:
            failure = ("error", f"unexpected Yahoo data: {exc}")
            break
        except Exception as exc:  # noqa: BLE001 - e.g. YFTzMissingError for an unknown symbol
            failure = ("error", f"Yahoo refused the request: {exc}")
            break
    got = pd.concat(frames, ignore_index=True) if frames else norm.empty_bar_frame()
    got = got.drop_duplicates(subset="ts", keep="last")
    written = 0
    if not got.empty:
        with db.write() as con:
            written = bar_store.upsert_bars(con, got, symbol=symbol, interval=chosen, source=SOURCE)
    if failure:
        status, reason = failure
        stored_note = f"; kept {written} new {chosen} bars" if written else ""
        return SymbolReport(symbol, status, chosen, written,
                            f"{symbol}: {reason}{stored_note} — {_cached_note(db, symbol)}")
    if got.empty:
        return SymbolReport(symbol, "empty", chosen, 0,
                            f"{symbol}: Yahoo returned no {chosen} bars for "
                            f"{_span(lo, hi)} — {_cached_note(db, symbol)}")
    first, last = got["ts"].min(), got["ts"].max()
    return SymbolReport(symbol, "stored", chosen, written,
                        f"{symbol}: stored {written} {chosen} bars {first:%Y-%m-%d %H:%M}Z.."
                        f"{last:%Y-%m-%d %H:%M}Z")
