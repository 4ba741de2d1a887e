"""Seeded, deterministic large data for the benchmarks — never the default database.

Writes under one scratch folder:

- ``articles/jsonl/part-NNNN.jsonl`` — every article as JSON Lines (each file under the ingest
  size limit), fields ``title, source, published, tags, url, region, summary, companies``;
- ``articles/text/NNNN/NNNNNNN.txt`` — the same articles in the aggregator text format;
- ``articles.parquet`` — the same articles as columns (the pandas baseline loads it);
- ``bench.duckdb`` — the store's schema holding the articles, tags, companies, listings and the
  1-minute bars on real XNYS/XHKG session minutes;
- ``manifest.json`` — sizes and seed; a folder whose manifest matches is reused, not rebuilt.

Tags follow a Zipf law over a few hundred names, so some tags are in most filters' way and most
are rare — the shape a real archive has. Bulk writes go through Arrow; this is set-up, not a
measured path.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

GENERATOR_VERSION = 5
FIRST_DAY = pd.Timestamp("2019-01-01", tz="UTC")
LAST_DAY = pd.Timestamp("2026-01-01", tz="UTC")  # exclusive
# Bars end here so that even the quick set covers the first case's week (2025-11-12..19).
BARS_END = pd.Timestamp("2025-11-29", tz="UTC")  # exclusive
JSONL_RECORDS_PER_FILE = 5_000  # ~2 MB a file: under the ingest's 5 MB default limit


def jsonl_records_per_file(articles: int) -> int:
    """Small sets get small files, so an ingest sample can be a few files' worth."""
    return max(100, min(JSONL_RECORDS_PER_FILE, articles // 20))
TEXT_FILES_PER_FOLDER = 1_000
FETCHED_AT = pd.Timestamp("2026-01-02T00:00:00Z")  # fixed so the database is reproducible

REGIONS = ["Greater China", "United States", "Europe", "Asia Pacific", "Global", "Japan",
           "Middle East", "Latin America"]
# Zones whose abbreviations the ingest's zone table knows unambiguously.
SOURCE_ZONES = ["America/New_York", "Asia/Hong_Kong", "Europe/London", "UTC"]

_SOURCE_FIRST = ["Pacific", "Harbor", "Global", "Capital", "Metro", "Summit", "Coastal", "Pioneer",
                 "Atlas", "Meridian"]
_SOURCE_SECOND = ["Wire", "Times", "Ledger", "Journal"]
_COMPANY_FIRST = ["Northwind", "Bluefin", "Redwood", "Silverline", "Granite", "Lotus", "Ironbridge",
                  "Cobalt", "Juniper", "Orchid", "Falcon", "Quartz", "Sable", "Tidewater",
                  "Zephyr", "Amber", "Cedar"]
_COMPANY_SECOND = ["Holdings", "Technologies", "Group"]
_TOPICS = ["Artificial Intelligence", "Tech War", "US-China Relations", "Geopolitical Risk",
           "Earnings", "Cloud Computing", "E-commerce", "Semiconductors", "Regulation",
           "Antitrust", "Export Controls", "Tariffs", "Dividends", "Buybacks", "M&A", "IPO",
           "Guidance", "Analyst Ratings", "Supply Chain", "Data Privacy", "Cybersecurity",
           "Logistics", "Consumer Spending", "Interest Rates", "Currency", "Sanctions",
           "Delisting Risk", "Short Sellers", "Index Inclusion", "ESG", "Labour", "Litigation",
           "Streaming", "Gaming", "Payments", "Fintech", "Electric Vehicles", "Batteries",
           "Robotics", "Biotech"]
_QUALIFIERS = ["Asia", "Europe", "United States", "Outlook", "Policy", "Markets", "Investigation"]
_VERBS = ["shares rise after", "shares fall on", "denies report of", "confirms", "faces questions over",
          "unveils", "expands", "cuts", "wins approval for", "warns on", "reports", "pauses"]
_OBJECTS = ["cloud deal", "AI model launch", "quarterly results", "export rules", "tariff talks",
            "data probe", "buyback plan", "chip supply", "regulatory review", "merger talks",
            "price war", "new CEO", "index change", "bond sale", "licence"]


@dataclass(frozen=True)
class Sizes:
    """How big a generated data set is."""

    articles: int
    bars: int
    symbols: int = 25
    seed: int = 20251117

    def label(self) -> str:
        return f"{self.articles} articles, {self.bars} bars over {self.symbols} symbols"


FULL = Sizes(articles=1_000_000, bars=10_000_000)
QUICK = Sizes(articles=2_000, bars=200_000)


@dataclass(frozen=True)
class Corpus:
    """The universe the articles are drawn from."""

    sources: list[str]
    source_zones: list[str]
    tags: list[str]            # topic tags, Zipf rank order (most common first)
    company_ids: list[str]
    company_names: list[str]


def make_universe() -> Corpus:
    sources = [f"{a} {b}" for b in _SOURCE_SECOND for a in _SOURCE_FIRST][:40]
    source_zones = [SOURCE_ZONES[i % len(SOURCE_ZONES)] for i in range(len(sources))]
    tags = list(_TOPICS) + [f"{t} {q}" for q in _QUALIFIERS for t in _TOPICS]
    tags = tags[:300]
    names = ["Alibaba Group"] + [f"{a} {b}" for b in _COMPANY_SECOND for a in _COMPANY_FIRST][:49]
    ids = ["alibaba"] + [n.lower().replace(" ", "-") for n in names[1:]]
    return Corpus(sources, source_zones, tags, ids, names)


def _zipf_weights(n: int, exponent: float = 1.07) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def generate_articles(n: int, seed: int) -> tuple[pd.DataFrame, Corpus]:
    """One row per article: tags and companies as lists, ``published_at`` UTC."""
    rng = np.random.default_rng(seed)
    corpus = make_universe()
    span_s = int((LAST_DAY - FIRST_DAY).total_seconds())
    published = FIRST_DAY + pd.to_timedelta(np.sort(rng.integers(0, span_s, n)), unit="s")
    source_idx = rng.choice(len(corpus.sources), n, p=_zipf_weights(len(corpus.sources), 0.8))
    region_idx = rng.integers(0, len(REGIONS), n)

    # Companies: one per article, a second for a fifth of them (Zipf-ish: a few dominate).
    company_w = _zipf_weights(len(corpus.company_ids), 0.9)
    first_company = rng.choice(len(corpus.company_ids), n, p=company_w)
    second_company = rng.choice(len(corpus.company_ids), n, p=company_w)
    has_second = (rng.random(n) < 0.2) & (second_company != first_company)

    # Topic tags: 2..6 distinct per article, Zipf-distributed over a few hundred names.
    want = rng.integers(2, 7, n)
    candidates = np.sort(rng.choice(len(corpus.tags), (n, 10), p=_zipf_weights(len(corpus.tags))), axis=1)
    distinct = np.ones(candidates.shape, dtype=bool)
    distinct[:, 1:] = candidates[:, 1:] != candidates[:, :-1]
    keep = distinct & (np.cumsum(distinct, axis=1) <= want[:, None])
    rows, cols = np.nonzero(keep)
    topic_lists = np.split(candidates[rows, cols], np.cumsum(keep.sum(axis=1))[:-1])

    verb_idx = rng.integers(0, len(_VERBS), n)
    object_idx = rng.integers(0, len(_OBJECTS), n)
    move = np.round(rng.normal(0, 3, n), 2)

    names, tags_out, companies_out, titles, summaries, urls = [], [], [], [], [], []
    for i in range(n):
        c1 = first_company[i]
        name = corpus.company_names[c1]
        ids = [corpus.company_ids[c1]]
        article_tags = [name.split(" ")[0]]  # the company as a tag, like the seed's "Alibaba"
        if has_second[i]:
            ids.append(corpus.company_ids[second_company[i]])
        article_tags += [corpus.tags[t] for t in topic_lists[i]]
        title = f"{name} {_VERBS[verb_idx[i]]} {_OBJECTS[object_idx[i]]} ({i + 1})"
        summary = (
            f"{name} {_VERBS[verb_idx[i]]} {_OBJECTS[object_idx[i]]}, the report said. "
            f"The shares moved {move[i]:+.2f}% in the session as investors weighed "
            f"{article_tags[1].lower()} and what it means for the company's outlook. "
            f"Synthetic benchmark article {i + 1}; not real news."
        )
        tags_out.append(article_tags)
        companies_out.append(ids)
        titles.append(title)
        summaries.append(summary)
        urls.append(f"https://example.com/bench/{i + 1}")
    frame = pd.DataFrame({
        "title": titles,
        "source": np.asarray(corpus.sources, dtype=object)[source_idx],
        "source_zone": np.asarray(corpus.source_zones, dtype=object)[source_idx],
        "region": np.asarray(REGIONS, dtype=object)[region_idx],
        "published_at": published,
        "tags": tags_out,
        "companies": companies_out,
        "summary": summaries,
        "url": urls,
    })
    return frame, corpus


def _local_strings(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(aggregator text ``MM/DD/YYYY, HH:MM:SS ZONE``, ISO 8601 with offset) per article."""
    raw = np.empty(len(frame), dtype=object)
    iso = np.empty(len(frame), dtype=object)
    for zone, idx in frame.groupby("source_zone").indices.items():
        local = frame["published_at"].iloc[idx].dt.tz_convert(zone)
        raw[idx] = local.dt.strftime("%m/%d/%Y, %H:%M:%S %Z").to_numpy()
        compact = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z").to_numpy().astype(str)
        iso[idx] = [s[:-2] + ":" + s[-2:] for s in compact]  # +0800 -> +08:00
    return raw, iso


def write_jsonl(frame: pd.DataFrame, iso: np.ndarray, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    per_file = jsonl_records_per_file(len(frame))
    columns = {name: frame[name].tolist() for name in
               ("title", "source", "tags", "url", "region", "summary", "companies")}
    columns["published"] = list(iso)
    order = ["title", "source", "published", "tags", "url", "region", "summary", "companies"]
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for part, start in enumerate(range(0, len(frame), per_file)):
        path = folder / f"part-{part:04d}.jsonl"
        stop = min(start + per_file, len(frame))
        lines = [encode({name: columns[name][i] for name in order}) for i in range(start, stop)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def write_text(frame: pd.DataFrame, raw: np.ndarray, folder: Path) -> None:
    """One aggregator-format file per article, shaped like data/articles/000_*.txt."""
    titles, regions, sources = frame["title"].tolist(), frame["region"].tolist(), frame["source"].tolist()
    tags, summaries = frame["tags"].tolist(), frame["summary"].tolist()
    for i in range(len(frame)):
        sub = folder / f"{i // TEXT_FILES_PER_FOLDER:04d}"
        if i % TEXT_FILES_PER_FOLDER == 0:
            sub.mkdir(parents=True, exist_ok=True)
        text = (
            f"{titles[i]}\n\n{regions[i]}\nSource: {sources[i]}Published: {raw[i]}\n"
            + "\n".join(tags[i])
            + f"\n{summaries[i].split('. ')[0]}.\n\nNews Summary\n\n{summaries[i]}\n"
        )
        (sub / f"{i:07d}.txt").write_text(text, encoding="utf-8")


def write_companies_toml(corpus: Corpus, path: Path) -> None:
    """The synthetic companies as a registry file, so ingest links articles to them as it would
    to real ones (explicit ids and whole-word aliases). Alibaba comes from data/companies.toml."""
    lines = ["# Synthetic companies for the benchmark corpus (not real firms).", ""]
    for company_id, name in zip(corpus.company_ids[1:], corpus.company_names[1:]):
        lines += ["[[company]]", f'id = "{company_id}"', f'name = "{name}"',
                  f'aliases = ["{name}"]', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def text_paths(folder: Path, limit: int | None = None) -> list[Path]:
    """The first ``limit`` generated text files, in generation order."""
    paths = sorted(folder.rglob("*.txt"))
    return paths[:limit] if limit else paths


# ---------------------------------------------------------------------------------------------
# Bars on real exchange minutes.

def symbol_plan(count: int) -> list[tuple[str, str]]:
    """(symbol, exchange MIC): Alibaba's two lines and their benchmarks first, then synthetic."""
    plan = [("BABA", "XNYS"), ("9988.HK", "XHKG"), ("KWEB", "XNYS"), ("2800.HK", "XHKG")]
    i = 1
    while len(plan) < count:
        mic = "XNYS" if len(plan) % 2 == 0 else "XHKG"
        plan.append((f"SYN{i:02d}" if mic == "XNYS" else f"{8000 + i}.HK", mic))
        i += 1
    return plan[:count]


def session_minutes(mic: str, count: int) -> pd.DatetimeIndex:
    """The last ``count`` trading minutes of ``mic`` before BARS_END (UTC, bar-open times)."""
    import exchange_calendars as xcals

    years = max(1, int(np.ceil(count / (330 * 240))) + 1)
    start = BARS_END - pd.DateOffset(years=years)
    cal = xcals.get_calendar(mic, start=start.tz_localize(None).date().isoformat(),
                             end=(BARS_END - pd.Timedelta(days=1)).tz_localize(None).date().isoformat())
    minutes = cal.minutes_in_range(cal.first_minute, cal.last_minute)
    if len(minutes) < count:
        raise ValueError(f"{mic}: only {len(minutes)} minutes since {start.date()}, need {count}")
    return minutes[-count:]


def bars_for(symbol: str, minutes: pd.DatetimeIndex, rng: np.random.Generator) -> pa.Table:
    n = len(minutes)
    start_price = float(rng.uniform(20, 300))
    close = start_price * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.concatenate([[start_price], close[:-1]])
    wiggle = np.abs(rng.normal(0, 0.0004, (2, n)))
    high = np.maximum(open_, close) * (1 + wiggle[0])
    low = np.minimum(open_, close) * (1 - wiggle[1])
    volume = np.round(rng.lognormal(8, 1, n))
    return pa.table({
        "symbol": pa.array([symbol] * n, pa.string()),
        "interval": pa.array(["1m"] * n, pa.string()),
        "ts": pa.array(minutes.as_unit("us").asi8, pa.timestamp("us", tz="UTC")),
        "open": open_, "high": high, "low": low, "close": close, "volume": volume,
        "source": pa.array(["synthetic"] * n, pa.string()),
        "fetched_at": pa.array([FETCHED_AT.value // 1000] * n, pa.timestamp("us", tz="UTC")),
    })


# ---------------------------------------------------------------------------------------------
# The scratch database.

def _article_ids(frame: pd.DataFrame) -> list[str]:
    minute = frame["published_at"].dt.strftime("%Y-%m-%dT%H:%MZ").tolist()
    return [
        hashlib.sha1(f"{s.lower()}|{t.lower()}|{m}".encode()).hexdigest()[:16]
        for s, t, m in zip(frame["source"].tolist(), frame["title"].tolist(), minute)
    ]


def write_database(db_path: Path, frame: pd.DataFrame, raw: np.ndarray, corpus: Corpus,
                   sizes: Sizes, log) -> None:
    """Create ``db_path`` with the store's schema and bulk-load articles and bars."""
    from dashboard import store

    if db_path.exists():
        db_path.unlink()
    ids = _article_ids(frame)
    articles = pa.table({
        "article_id": ids,
        "title": frame["title"].tolist(),
        "source": frame["source"].tolist(),
        "region": frame["region"].tolist(),
        "published_at": pa.array(frame["published_at"].dt.as_unit("us").array.asi8, pa.timestamp("us", tz="UTC")),
        "published_raw": raw.tolist(),
        "published_zone": frame["source_zone"].tolist(),
        "published_precision": ["minute"] * len(frame),
        "summary": frame["summary"].tolist(),
        "url": frame["url"].tolist(),
        "stance": ["neutral"] * len(frame),
        "origin": [f"bench:{i + 1}" for i in range(len(frame))],
        "content_hash": ids,
        "ingested_at": pa.array([FETCHED_AT.value // 1000] * len(frame), pa.timestamp("us", tz="UTC")),
    })
    tag_lens = frame["tags"].str.len().to_numpy()
    tag_article_ids = np.repeat(np.asarray(ids, dtype=object), tag_lens)
    tag_names = [t for tags in frame["tags"] for t in tags]
    tag_positions = [p for n in tag_lens for p in range(n)]
    article_tags = pa.table({"article_id": tag_article_ids.tolist(), "tag": tag_names,
                             "position": tag_positions})
    company_lens = frame["companies"].str.len().to_numpy()
    article_companies = pa.table({
        "article_id": np.repeat(np.asarray(ids, dtype=object), company_lens).tolist(),
        "company_id": [c for cs in frame["companies"] for c in cs],
        "how": ["explicit"] * int(company_lens.sum()),
    })
    # Every article is also a publication event on the timeline (as ingest makes it).
    event_ids = ["pub-" + i for i in ids]
    events = pa.table({
        "event_id": event_ids,
        "ts": articles.column("published_at"),
        "ts_raw": articles.column("published_raw"),
        "ts_zone": articles.column("published_zone"),
        "precision": articles.column("published_precision"),
        "kind": ["publication"] * len(frame),
        "stance": articles.column("stance"),
        "actor": articles.column("source"),
        "source": articles.column("source"),
        "headline": articles.column("title"),
        "source_url": articles.column("url"),
        "article_id": ids,
        "company_id": [cs[0] for cs in frame["companies"]],
        "origin": articles.column("origin"),
        "content_hash": ids,
        "ingested_at": articles.column("ingested_at"),
    })
    event_tags = pa.table({"event_id": ["pub-" + i for i in tag_article_ids.tolist()],
                           "tag": tag_names, "position": tag_positions})
    plan = symbol_plan(sizes.symbols)
    companies, aliases, listings = _registry(corpus, plan)
    with store.writer(db_path) as con:
        con.execute("SET enable_progress_bar = false")
        with store.transaction(con):
            for table_name, table in [("companies", companies), ("company_aliases", aliases),
                                      ("listings", listings), ("articles", articles),
                                      ("article_tags", article_tags),
                                      ("article_companies", article_companies),
                                      ("events", events), ("event_tags", event_tags)]:
                _bulk_insert(con, table_name, table)
            # The bulk insert bypasses save_articles/save_events: derive the list columns the
            # filters read (and the time order they rely on) from the record tables, as they would.
            from dashboard.store.articles import rebuild_article_lists
            from dashboard.store.events import rebuild_event_lists
            rebuild_article_lists(con)
            rebuild_event_lists(con)
        log(f"  articles stored ({len(frame)} rows, {article_tags.num_rows} tags)")
        rng = np.random.default_rng(sizes.seed + 1)
        per_symbol = sizes.bars // len(plan)
        minutes_by_mic = {mic: session_minutes(mic, per_symbol) for mic in {m for _, m in plan}}
        for symbol, mic in plan:
            with store.transaction(con):
                _bulk_insert(con, "bars", bars_for(symbol, minutes_by_mic[mic], rng))
        con.execute("CHECKPOINT")
        log(f"  bars stored ({per_symbol * len(plan)} rows over {len(plan)} symbols)")


def _bulk_insert(con, table_name: str, table: pa.Table) -> None:
    # Bench set-up only: the names are this module's constants, the rows come through Arrow.
    con.register("bench_rows", table)
    try:
        columns = ", ".join(table.column_names)
        con.execute(f"INSERT INTO {table_name} ({columns}) SELECT {columns} FROM bench_rows")
    finally:
        con.unregister("bench_rows")


def _registry(corpus: Corpus, plan: list[tuple[str, str]]) -> tuple[pa.Table, pa.Table, pa.Table]:
    companies = pa.table({"company_id": corpus.company_ids, "name": corpus.company_names})
    alias_rows = [(cid, name.split(" ")[0]) for cid, name in zip(corpus.company_ids, corpus.company_names)]
    alias_rows += [("alibaba", a) for a in ["Alibaba Group", "阿里巴巴", "BABA", "9988"]]
    aliases = pa.table({"company_id": [r[0] for r in alias_rows], "alias": [r[1] for r in alias_rows]})
    zones = {"XNYS": ("USD", "America/New_York"), "XHKG": ("HKD", "Asia/Hong_Kong")}
    rows = []
    synthetic_companies = iter(corpus.company_ids[1:])
    for symbol, mic in plan:
        currency, tz = zones[mic]
        if symbol in ("BABA", "9988.HK"):
            rows.append((symbol, "alibaba", "listing", mic, currency, tz,
                         8.0 if symbol == "BABA" else 1.0,
                         "KWEB" if symbol == "BABA" else "2800.HK", f"Alibaba Group ({symbol})"))
        elif symbol in ("KWEB", "2800.HK"):
            rows.append((symbol, None, "benchmark", mic, currency, tz, 1.0, None, symbol))
        else:
            company = next(synthetic_companies)
            rows.append((symbol, company, "listing", mic, currency, tz, 1.0,
                         "KWEB" if mic == "XNYS" else "2800.HK", symbol))
    names = ["symbol", "company_id", "role", "exchange_mic", "currency", "tz", "shares_per_unit",
             "benchmark_symbol", "name"]
    listings = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
    return companies, aliases, listings


# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dataset:
    """Where a generated data set lives."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "bench.duckdb"

    @property
    def jsonl_dir(self) -> Path:
        return self.root / "articles" / "jsonl"

    @property
    def text_dir(self) -> Path:
        return self.root / "articles" / "text"

    @property
    def parquet(self) -> Path:
        return self.root / "articles.parquet"

    @property
    def companies_toml(self) -> Path:
        return self.root / "articles" / "companies.toml"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    def jsonl_paths(self) -> list[Path]:
        return sorted(self.jsonl_dir.glob("*.jsonl"))


def _manifest_for(sizes: Sizes) -> dict:
    return {"generator_version": GENERATOR_VERSION, **asdict(sizes)}


def ensure_dataset(root: Path, sizes: Sizes, *, log=print, force: bool = False) -> Dataset:
    """Generate the data set under ``root`` unless an identical one is already there."""
    data = Dataset(Path(root))
    wanted = _manifest_for(sizes)
    if not force and data.manifest.exists():
        try:
            if json.loads(data.manifest.read_text()) == wanted:
                log(f"reusing generated data in {data.root} ({sizes.label()})")
                return data
        except json.JSONDecodeError:
            pass
    started = time.perf_counter()
    log(f"generating {sizes.label()} into {data.root} (seed {sizes.seed}) …")
    if data.manifest.exists():
        data.manifest.unlink()
    import shutil

    for old in (data.jsonl_dir, data.text_dir):
        if old.exists():
            shutil.rmtree(old)
    data.root.mkdir(parents=True, exist_ok=True)
    frame, corpus = generate_articles(sizes.articles, sizes.seed)
    raw, iso = _local_strings(frame)
    log(f"  articles drawn ({time.perf_counter() - started:.0f} s)")
    write_jsonl(frame, iso, data.jsonl_dir)
    write_companies_toml(corpus, data.companies_toml)
    log(f"  JSONL written ({time.perf_counter() - started:.0f} s)")
    write_text(frame, raw, data.text_dir)
    log(f"  text files written ({time.perf_counter() - started:.0f} s)")
    pq.write_table(pa.Table.from_pandas(frame.drop(columns=["summary"]), preserve_index=False),
                   data.parquet)
    write_database(data.db, frame, raw, corpus, sizes, log)
    data.manifest.write_text(json.dumps(wanted, indent=2) + "\n")
    log(f"generated in {time.perf_counter() - started:.0f} s")
    return data
