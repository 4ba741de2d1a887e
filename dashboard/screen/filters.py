"""What one screen shows: ``Filters`` and their URL form."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from dashboard.formatting import ZONES

INTERVALS = ("auto", "1m", "5m", "15m", "60m", "1d")


PRICE_MODES = ("price", "pct", "usd")


PRICE_MODE_LABELS = {
    "price": "Price (listing currency)",
    "pct": "% change from a reference time",
    "usd": "USD per ADS (both listings)",
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
        """Parse URL parameters; a bad value falls back to its default with a notice."""
        notices: list[str] = []
        values: dict[str, Any] = {}

        def one(name: str) -> str | None:
            raw = _all_values(params, name)
            return raw[-1].strip() if raw else None

        company = one("company")
        if company:
            values["company"] = company
        for name in ("tags", "sources", "kinds"):
            items = [v.strip() for v in _all_values(params, name) if v.strip()]
            values[name] = tuple(dict.fromkeys(items))  # keep order, drop repeats
        for name in ("start", "end"):
            text = one(name)
            if text:
                try:
                    values[name] = dt.date.fromisoformat(text)
                except ValueError:
                    notices.append(f"URL parameter {name}={text!r} is not a date (YYYY-MM-DD); using the default window.")
        if "start" in values and "end" in values and values["start"] > values["end"]:
            notices.append(
                f"URL parameters start={values['start']} is after end={values['end']}; using the default window."
            )
            values.pop("start")
            values.pop("end")
        for name, key, allowed in (
            ("zone", "zone", ZONES),
            ("interval", "interval", INTERVALS),
            ("mode", "price_mode", PRICE_MODES),
        ):
            text = one(name)
            if text is None or text == "":
                continue
            if text in allowed:
                values[key] = text
            else:
                default = getattr(cls, key)
                notices.append(
                    f"URL parameter {name}={text!r} is not one of {', '.join(allowed)}; using {default!r}."
                )
        ref = one("ref")
        if ref:
            try:
                values["reference"] = parse_utc(ref)
            except ValueError:
                notices.append(f"URL parameter ref={ref!r} is not a time (e.g. 2025-11-14T18:00Z); using the window start.")
        for name, key, what in (("parity", "parity", "the parity rows stay off"),
                                ("ext", "extended_hours", "extended hours stay on")):
            text = (one(name) or "").lower()
            if text in TRUE_WORDS + FALSE_WORDS:
                values[key] = text in TRUE_WORDS
            elif text:
                notices.append(f"URL parameter {name}={one(name)!r} is not 1 or 0; {what}.")
        search = one("q")
        if search:
            values["search"] = search
        return cls(**values), notices

    def replace(self, **changes: Any) -> "Filters":
        return dataclasses.replace(self, **changes)


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
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(text) from exc
    if stamp is pd.NaT:
        raise ValueError(text)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
