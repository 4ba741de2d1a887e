"""What one screen shows: ``Filters`` and their URL form."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from dashboard import timeutil
from dashboard.formatting import ZONES

INTERVALS = ("auto", "1m", "5m", "15m", "60m", "1d")


PRICE_MODES = ("price", "pct", "usd")


PRICE_MODE_LABELS = {
    "price": "Price",
    "pct": "% change",
    "usd": "USD per ADS",
}


DEFAULT_COMPANY = "alibaba"


TRUE_WORDS = ("1", "true", "yes", "on")


FALSE_WORDS = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Filters:
    """Everything that decides what one screen shows. Hashable, so it can key a cache."""

    company: str = DEFAULT_COMPANY
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    start: dt.date | None = None  # None: the company's default window
    end: dt.date | None = None  # inclusive, a whole day in the display zone
    zone: str = "UTC"
    interval: str = "auto"
    price_mode: str = "price"
    reference: pd.Timestamp | None = None  # UTC; pct mode's base (None: start of the window)
    parity: bool = False  # draw the ADR-parity rows
    # US listings' pre-market and after-hours bars drawn and counted (URL: ext=0 turns them off)
    extended_hours: bool = True
    search: str = ""  # full-text search of the articles (URL: q); narrows articles, events, markers

    def to_query_params(self) -> dict[str, str | list[str]]:
        """Only what differs from the defaults, so a shared URL stays short."""
        params: dict[str, str | list[str]] = {}
        if self.company != DEFAULT_COMPANY:
            params["company"] = self.company
        for name in ("tags", "sources", "kinds"):
            values = list(getattr(self, name))
            if values:
                params[name] = values
        if self.start is not None:
            params["start"] = self.start.isoformat()
        if self.end is not None:
            params["end"] = self.end.isoformat()
        if self.zone != "UTC":
            params["zone"] = self.zone
        if self.interval != "auto":
            params["interval"] = self.interval
        if self.price_mode != "price":
            params["mode"] = self.price_mode
        if self.reference is not None:
            params["ref"] = self.reference.strftime("%Y-%m-%dT%H:%MZ")
        if self.parity:
            params["parity"] = "1"
        if not self.extended_hours:
            params["ext"] = "0"
        if self.search.strip():
            params["q"] = self.search.strip()
        return params

    @classmethod
    def from_query_params(cls, params: Mapping[str, Any]) -> tuple["Filters", list[str]]:
        """Parse URL parameters; a bad value falls back to its default with a notice, and so
        does a parameter nobody reads (a typo would otherwise change nothing without a word)."""
        notices = [unknown_parameter_notice(name, _all_values(params, name))
                   for name in _names(params) if name not in URL_FIELDS and name not in PAGE_PARAMS]
        values: dict[str, Any] = {}
        for field_name, name in URL_NAMES.items():
            raw = [v.strip() for v in _all_values(params, name)]
            if field_name in LIST_FIELDS:
                values[field_name] = raw
            elif raw and raw[-1]:
                values[field_name] = raw[-1]
        filters, unusable = build_filters(values, URL)
        return filters, notices + [str(u) for u in unusable]

    def replace(self, **changes: Any) -> "Filters":
        return dataclasses.replace(self, **changes)


# Each field's URL parameter; the app's own parameters (PAGE_PARAMS) sit beside them in a URL.
URL_NAMES = {"company": "company", "tags": "tags", "sources": "sources", "kinds": "kinds", "start": "start",
             "end": "end", "zone": "zone", "interval": "interval", "price_mode": "mode", "reference": "ref",
             "parity": "parity", "extended_hours": "ext", "search": "q"}
URL_FIELDS = {name: field_name for field_name, name in URL_NAMES.items()}
PAGE_PARAMS = ("event", "article", "as_of")  # the reader's pick and a lake read's time (app.py)
LIST_FIELDS = ("tags", "sources", "kinds")


def unknown_parameter_notice(name: str, values: list[str]) -> str:
    """"Unknown URL parameter kind='bogus'; ignored (did you mean kinds?)."""
    shown = ", ".join(f"{name}={v!r}" for v in values[:3]) or repr(name)
    guess = _close_name(name)
    hint = f" (did you mean {guess}?)" if guess else ""
    return f"Unknown URL parameter {shown}; ignored{hint}."


def _close_name(name: str) -> str | None:
    """The URL parameter a wrong name most likely meant: a field's own name (price_mode → mode),
    a singular (kind → kinds), another case."""
    folded = name.strip().casefold()
    for candidate in (URL_NAMES.get(folded), folded, folded + "s"):
        if candidate in URL_FIELDS or candidate in PAGE_PARAMS:
            return candidate
    return None


@dataclass(frozen=True)
class Spelling:
    """How a face names a field in a notice: the URL (``URL parameter start='x'``), the command
    line (``--start x``), the sidebar (``Reference time 'x'``)."""

    prefix: str
    names: Mapping[str, str]
    quote: bool = True
    separator: str = "="

    def __call__(self, field_name: str, text: Any) -> str:
        shown = repr(str(text)) if self.quote else str(text)
        return f"{self.names.get(field_name, field_name)}{self.separator}{shown}"


URL = Spelling("URL parameter ", URL_NAMES)
SIDEBAR = Spelling("", {"reference": "Reference time"}, separator=" ")


@dataclass(frozen=True)
class Unusable:
    """A value ``build_filters`` could not use: what is wrong with it, and what is used instead."""

    problem: str
    fallback: str

    def __str__(self) -> str:
        return f"{self.problem}; {self.fallback}."


def build_filters(values: Mapping[str, Any], spelling: Spelling = URL) -> tuple[Filters, list[Unusable]]:
    """THE builder of ``Filters`` (the URL, the command line and the sidebar all come here):
    ``values`` by field name, as text or already typed; a value that cannot be used keeps its
    field's default and is reported as an :class:`Unusable` spelled the caller's way."""
    unusable: list[Unusable] = []
    out: dict[str, Any] = {}

    def bad(field_name: str, text: Any, reason: str, fallback: str) -> None:
        unusable.append(Unusable(f"{spelling.prefix}{spelling(field_name, text)} {reason}", fallback))

    for name in ("company", "search"):
        text = str(values.get(name) or "").strip()
        if text:
            out[name] = text
    for name in LIST_FIELDS:
        items = [str(v).strip() for v in values.get(name) or () if str(v).strip()]
        out[name] = tuple(dict.fromkeys(items))  # keep order, drop repeats
    for name in ("start", "end"):
        value = values.get(name)
        if value is None or value == "":
            continue
        try:
            out[name] = timeutil.shown_day(value)
        except ValueError as exc:
            bad(name, value, str(exc), "using the default window")
    if "start" in out and "end" in out and out["start"] > out["end"]:
        unusable.append(Unusable(f"{spelling.prefix}{spelling('start', out['start'])} is after "
                                 f"{spelling('end', out['end'])}", "using the default window"))
        out.pop("start")
        out.pop("end")
    for name, allowed in (("zone", ZONES), ("interval", INTERVALS), ("price_mode", PRICE_MODES)):
        value = values.get(name)
        if value is None or value == "":
            continue
        if value in allowed:
            out[name] = value
        else:
            bad(name, value, f"is not one of {', '.join(allowed)}", f"using {getattr(Filters, name)!r}")
    reference = values.get("reference")
    if isinstance(reference, pd.Timestamp):
        out["reference"] = timeutil.to_utc(reference)
    elif reference is not None and str(reference).strip():
        try:
            out["reference"] = parse_utc(str(reference).strip())
        except ValueError:
            bad("reference", reference, "is not a time (e.g. 2025-11-14T18:00Z)", "using the window start")
    for name, what in (("parity", "the parity rows stay off"), ("extended_hours", "extended hours stay on")):
        value = values.get(name)
        if isinstance(value, bool):
            out[name] = value
        elif value is not None and str(value).strip():
            text = str(value).strip().lower()
            if text in TRUE_WORDS + FALSE_WORDS:
                out[name] = text in TRUE_WORDS
            else:
                bad(name, value, "is not 1 or 0", what)
    return Filters(**out), unusable


def _names(params: Mapping[str, Any]) -> list[str]:
    return [str(name) for name in params.keys()]


def _all_values(params: Mapping[str, Any], name: str) -> list[str]:
    """All values of ``name``: st.query_params (get_all), a dict of lists, or of strings."""
    getter = getattr(params, "get_all", None)
    if callable(getter):
        return [str(v) for v in getter(name)]
    value = params.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def url_choices(wanted, offered, noun: str, *, ignore_case: bool = True) -> tuple[list[str], list[str]]:
    """URL values that are among the widget's options (spelled as offered), and one notice per
    value that is not ("Unknown tag 'x' in the URL; ignored.")."""
    fold = (lambda v: str(v).casefold()) if ignore_case else str
    lookup = {fold(o): o for o in offered}
    chosen, notices = [], []
    for value in wanted:
        if fold(value) in lookup:
            chosen.append(lookup[fold(value)])
        else:
            notices.append(f"Unknown {noun} {value!r} in the URL; ignored.")
    return chosen, notices


def picked_window(dates, default_window: tuple) -> tuple[dt.date | None, dt.date | None, str]:
    """The date widget's value as ``Filters.start`` / ``end``: (None, None) for the default
    window (the URL stays short and the window follows the data), and while only a start is
    picked, with a hint to pick the end."""
    if isinstance(dates, (tuple, list)) and len(dates) == 2 and tuple(dates) != tuple(default_window):
        return dates[0], dates[1], ""
    if isinstance(dates, (tuple, list)) and len(dates) == 1:
        return None, None, "Pick an end date too; showing the default window meanwhile."
    return None, None, ""


def parse_utc(text: str) -> pd.Timestamp:
    """A time typed by a user (naive means UTC); ValueError when it is none."""
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(text) from exc
    if stamp is pd.NaT:
        raise ValueError(text)
    return timeutil.to_utc(stamp)
