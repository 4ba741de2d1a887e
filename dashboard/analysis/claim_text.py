"""Reported vs computed, step 1: move claims pulled out of article and event text.

:func:`extract_claims` reads text sentence by sentence and returns what each move claim says:
listing, direction, size (signed %), qualifier (exact / over / nearly / about), price if given,
the measure meant (close / intraday / pre-market / after-hours / unspecified) and a day hint
("on Friday", "Nov 14"). Figures about anything other than a share price (revenue, cloud growth,
tariffs, indexes) are not claims. Rules in docs/analysis.md.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd



_NUM = r"(?P<num>\d+(?:\.\d+)?)"
_DOWN = ("dropped|drops|drop|fell|falls|fall|falling|slid|slides|slide|sliding|slipped|slips|"
         "slip|sank|sinks|sink|declined|declines|decline|declining|lost|loses|lose|losing|tumbled|"
         "tumbles|plunged|plunges|plunge|plummeted|dipped|dips|down|lower|eased|eases|shed|sheds|"
         "retreated|nosedived|weaker")
_UP = ("rose|rises|rise|rising|gained|gains|gain|climbed|climbs|climb|jumped|jumps|jump|surged|"
       "surges|soared|soars|rallied|rallies|rally|advanced|advances|added|adds|up|higher|"
       "rebounded|rebounds|firmer")
_QUALIFIER = (r"(?P<qual>more than|over|above|at least|in excess of|nearly|almost|close to|"
              r"just under|about|around|roughly|approximately|some|~|as much as|up to|a further|"
              r"another|an additional)")
_SIGN = r"(?P<sign>[+\-])?"
# verb … number %   ("dropped 3.78%", "fell $6.04, or 3.78%", "declines 'reaching 4.7%")
_VERB_FIRST = re.compile(
    rf"\b(?P<verb>{_DOWN}|{_UP}|unchanged|flat)\b(?P<gap>[^%;!?]{{0,25}}?)"
    rf"(?:{_QUALIFIER}\s*)?{_SIGN}{_NUM}\s?%(?P<plus>\+)?", re.IGNORECASE)
# number % then noun or comparative ("a 3.78% decline", "4.67% higher")
_NUMBER_FIRST = re.compile(
    rf"(?:{_QUALIFIER}\s*)?{_SIGN}{_NUM}\s?%(?P<plus>\+)?\s+(?P<verb>decline|drop|fall|loss|slide|"
    rf"slump|gain|rise|jump|rally|increase|decrease|advance|higher|lower)\b", re.IGNORECASE)
# a bare signed figure ("(+3.06%)", "-1.80%")
SIGNED_PERCENT = re.compile(rf"(?<![\w.])(?P<sign>[+\-]){_NUM}\s?%(?P<plus>\+)?")
_PRICE = r"(?P<cur>HK\$|US\$|\$)\s?(?P<price>\d+(?:,\d{3})*(?:\.\d+)?)(?!\s*(?:bn|billion|m\b|million|k\b))"
# a price level ("close at $153.80", "closed unchanged at HK$154.9", "hit HK$152.1")
_LEVEL = re.compile(
    rf"\b(?P<verb>closed|closes|close|closing|ended|ends|finished|finishes|settled|hit|hits|"
    rf"touched|touches|traded|trades|trading|opened|opens)\b(?P<gap>[^%;!?$\d]{{0,20}}?){_PRICE}",
    re.IGNORECASE)
_ATTACHED_PRICE = re.compile(rf"\b(?:at|to)\s+{_PRICE}", re.IGNORECASE)

# Figures about these are not share-price moves (looked for just before the number).
_NOT_A_PRICE = re.compile(
    r"\b(revenues?|sales|profits?|earnings|income|margins?|cloud|tariffs?|duty|duties|gdp|"
    r"inflation|yields?|rates?|stake|downloads|users|growth|eps|dividends?|volumes?|index|"
    r"indices|etf|nasdaq|s&p|dow|hang seng|market share|exports?|imports?|unit|segment|"
    r"subscribers|orders|shipments|votes?)\b", re.IGNORECASE)
_STOCK_WORDS = re.compile(r"\b(shares?|stocks?|ADRs?|ADSs?|equity|trading|traded|closed|closes)\b", re.IGNORECASE)

_PREMARKET = re.compile(r"pre-?market|before the open|pre-open", re.IGNORECASE)
_AFTER_HOURS = re.compile(r"after[- ]hours|extended trading|after the bell", re.IGNORECASE)
_CLOSE = re.compile(r"\b(closed|closes|close|closing|ended|ends|end|finished|finishes|settled)\b", re.IGNORECASE)
_NOT_CLOSE = re.compile(r"\b(?:not|rather than)(?: at)? the close\b", re.IGNORECASE)
_INTRADAY = re.compile(
    r"intraday|during the session|at the time of (?:publication|writing)|when the (?:piece|post|"
    r"article|story) went (?:out|up)|when (?:its|the|their) post went up|(?:lowest|highest) point|"
    r"at one point|session (?:low|high)|as much as|\bearly\b|\bearlier\b|midday|lunch break|"
    r"morning trade|at the (?:us )?open|\bopened\b|\bopens\b|so far|\bhit\b|\btouch(?:ed|es)\b|"
    r"one-month (?:low|high)|\blow\b|\bhigh\b", re.IGNORECASE)

# Words tying a figure to an instant of the session (checked at that instant, docs/analysis.md):
# the open's first minutes, early trading, midday, the publication itself.
INSTANT_CUES = (
    ("publication", re.compile(r"at the time of (?:publication|writing)|when the (?:piece|post|article|story) "
                               r"went (?:out|up)|when (?:its|the|their) post went up", re.IGNORECASE)),
    ("open", re.compile(r"\bat the (?:us |u\.s\. |hong kong |new york )?open\b|\bat the opening bell\b", re.IGNORECASE)),
    ("early", re.compile(r"\bearly (?:in |on )?(?:[\w.]+'s )?(?:us |u\.s\. |hong kong |new york )?"
                         r"(?:trade|trading|session|dealings?)\b|\bin early (?:[\w.]+ )?(?:trade|trading|dealings?)\b",
                         re.IGNORECASE)),
    ("midday", re.compile(r"\b(?:at|by|around|near|towards?) (?:the )?mid-?day\b|\bmid-?day (?:break|trade|trading)\b|"
                          r"\bat (?:the )?lunch(?: break)?\b", re.IGNORECASE)),
)

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAY_HINT = re.compile(
    r"\b(?:(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2})\b)",
    re.IGNORECASE)

_ABBREVIATIONS = {"u.s", "u.k", "inc", "corp", "co", "ltd", "mr", "ms", "mrs", "dr", "st", "no",
                  "vs", "e.g", "i.e", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                  "sept", "oct", "nov", "dec", "a.m", "p.m", "jr", "sr", "approx"}
_CLAUSE_BREAK = re.compile(r";|\s+but\s+|\s+while\s+|\s+whereas\s+|,\s+and\s+", re.IGNORECASE)

# Words that point at a market, by exchange MIC, and the currency sign of each currency.
MARKET_CUES = {
    "XNYS": [r"\bU\.S\.?(?![A-Za-z])", r"\bUS\b", r"\bNew York\b", r"\bNYSE\b", r"\bADRs?\b",
             r"\bADSs?\b", r"\bAmerican depositary\b", r"\bWall Street\b"],
    "XHKG": [r"\bHong Kong\b", r"\bHK\b", r"\bHKEX\b"],
}
CURRENCY_CUES = {"USD": r"US\$|(?<![A-Za-z])\$", "HKD": r"HK\$"}


@dataclass
class Claim:
    """One move claim as written (figures in percent, signed: −3.78 for a 3.78 % fall)."""

    field: str
    quote: str
    listing: str | None
    direction: str | None      # down | up | flat | None (a price level only)
    size_pct: float | None
    qualifier: str             # exact | over | nearly | about
    decimals: int
    price: float | None
    currency: str | None
    measure: str               # close | intraday | pre-market | after-hours | unspecified
    day_hint: str | None       # "friday" or "11-14" (month-day)
    # publication | open | early | midday: the instant the figure is tied to (intraday figures only)
    instant: str | None = None
    measure_from: str | None = None  # where the measure came from when not the claim's own words
    position: int = field(default=0, repr=False)


@dataclass(frozen=True)
class ListingCue:
    symbol: str
    pattern: re.Pattern


def listing_cues(listings: pd.DataFrame) -> list[ListingCue]:
    """Cue patterns per listing: its symbol, its market's words, its currency sign."""
    cues = []
    for row in listings.itertuples(index=False):
        parts = [re.escape(row.symbol)]
        stem = str(row.symbol).split(".")[0]
        if stem != row.symbol and stem.isdigit():
            parts.append(rf"\b{re.escape(stem)}\b")
        parts += MARKET_CUES.get(getattr(row, "exchange_mic", None) or "", [])
        if getattr(row, "currency", None) in CURRENCY_CUES:
            parts.append(CURRENCY_CUES[row.currency])
        cues.append(ListingCue(row.symbol, re.compile("|".join(f"(?:{p})" for p in parts))))
    return cues


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs; a full stop after U.S., Nov., p.m. … does not end a sentence."""
    sentences, start = [], 0
    for match in re.finditer(r"[.!?][\"')\]]*\s+|\n\s*\n|\n", text):
        if match.group(0).startswith("."):
            token = text[:match.start()].split()[-1].lower().lstrip("('\"") if text[:match.start()].split() else ""
            if token in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token):
                continue
        piece = text[start:match.end()]
        if piece.strip():
            sentences.append((start, piece))
        start = match.end()
    if text[start:].strip():
        sentences.append((start, text[start:]))
    return sentences


def normalise(text: str) -> str:
    """Same length as the input (positions stay valid): unicode minus/dashes → '-'."""
    return text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")


def _qualifier(word: str | None, plus: str | None) -> str:
    word = (word or "").lower()
    if plus or word in ("more than", "over", "above", "at least", "in excess of"):
        return "over"
    if word in ("nearly", "almost", "close to", "just under"):
        return "nearly"
    if word in ("about", "around", "roughly", "approximately", "some", "~"):
        return "about"
    return "exact"


def _direction(verb: str, sign: str | None) -> str:
    verb = verb.lower()
    if verb in ("unchanged", "flat"):
        return "flat"
    if re.fullmatch(_DOWN, verb) or re.fullmatch("decline|drop|fall|loss|slide|slump|decrease|lower", verb):
        return "down"
    return "up"


def _measure(scope: str) -> str:
    scope = _NOT_CLOSE.sub(" ", scope)
    if _PREMARKET.search(scope):
        return "pre-market"
    if _AFTER_HOURS.search(scope):
        return "after-hours"
    if _INTRADAY.search(scope) and not _CLOSE.search(scope):
        return "intraday"
    if _CLOSE.search(scope):
        # "as much as … before closing …": an explicit extreme wins over a later close word
        return "intraday" if re.search(r"as much as|lowest point|highest point|session (?:low|high)", scope, re.I) else "close"
    if _INTRADAY.search(scope):
        return "intraday"
    return "unspecified"


def instant_of(scope: str) -> str | None:
    """The instant a figure is tied to by the words around it (INSTANT_CUES, first match), or None."""
    return next((name for name, cue in INSTANT_CUES if cue.search(scope)), None)


def headline_measures_from_text(claims: list[Claim]) -> None:
    """A title or subtitle figure that names no measure ("jumps 3%") takes the pre-market measure
    when the article's own text reports that listing moving the same way in the pre-market."""
    for claim in claims:
        if claim.field not in ("title", "subtitle") or claim.measure != "unspecified" or claim.instant:
            continue
        if any(other.field not in ("title", "subtitle") and other.listing == claim.listing
               and other.measure == "pre-market" and other.direction == claim.direction for other in claims):
            claim.measure, claim.measure_from = "pre-market", "the article's text"


def _day_hint(text: str) -> str | None:
    match = _DAY_HINT.search(text)
    if not match:
        return None
    if match.group("weekday"):
        return match.group("weekday").lower()
    month = _MONTHS.index(match.group("month").lower()[:3]) + 1
    return f"{month:02d}-{int(match.group('day')):02d}"


def _nearest_cue(cues: list[ListingCue], text: str, anchor: int) -> tuple[str | None, int]:
    """The listing whose cue sits closest to ``anchor`` in ``text`` (and the distance)."""
    best, best_distance = None, math.inf
    for cue in cues:
        for match in cue.pattern.finditer(text):
            distance = min(abs(match.start() - anchor), abs(match.end() - anchor))
            if distance < best_distance:
                best, best_distance = cue.symbol, distance
    return best, best_distance


def _last_cue_before(cues: list[ListingCue], text: str, position: int) -> str | None:
    best, best_at = None, -1
    for cue in cues:
        for match in cue.pattern.finditer(text, 0, position):
            if match.start() > best_at:
                best, best_at = cue.symbol, match.start()
    return best


def _price(match) -> tuple[float, str]:
    currency = {"HK$": "HKD", "US$": "USD", "$": "USD"}[match.group("cur").upper()]
    return float(match.group("price").replace(",", "")), currency


def _percent_matches(sentence: str) -> list[dict]:
    """Every % move in a sentence (verb-first, number-first, bare signed), non-overlapping."""
    found: list[dict] = []

    def overlaps(start, end):
        return any(start < f["end"] and f["start"] < end for f in found)

    for pattern in (_VERB_FIRST, _NUMBER_FIRST, SIGNED_PERCENT):
        for match in pattern.finditer(sentence):
            num_start = match.start("num")
            if overlaps(num_start, match.end("num")):
                continue
            groups = match.groupdict()
            verb = groups.get("verb")
            gap = groups.get("gap") or ""
            if verb and re.search(r"\d\s?%", gap):
                continue
            found.append({
                "start": match.start(), "end": match.end(), "num_start": num_start,
                "number": match.group("num"), "sign": groups.get("sign"),
                "verb": verb, "qual": groups.get("qual"), "plus": groups.get("plus"),
            })
    return sorted(found, key=lambda f: f["start"])


def extract_claims(
    text: str | None,
    listings: pd.DataFrame,
    *,
    field_name: str = "text",
    default_listing: str | None = None,
    aliases: tuple[str, ...] = (),
    fallback_measure_text: str = "",
) -> list[Claim]:
    """Move claims in ``text`` about the given listings (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        return []
    original = text
    plain = normalise(original)
    cues = listing_cues(listings)
    alias_pattern = re.compile("|".join(rf"\b{re.escape(a)}\b" for a in aliases), re.I) if aliases else None
    claims: list[Claim] = []
    for offset, sentence in split_sentences(plain):
        quote = original[offset:offset + len(sentence)].strip()
        moves = _percent_matches(sentence)
        levels = [m for m in _LEVEL.finditer(sentence)
                  if not re.search(r"\b(implied|inferred|target|estimate[ds]?)\W+$", sentence[max(0, m.start() - 20):m.start()], re.I)
                  and not any(m.start("price") < mv["end"] and mv["start"] < m.end("price") for mv in moves)]
        items = []
        for move in moves:
            items.append({**move, "kind": "pct", "price": None})
        for level in levels:
            items.append({"kind": "level", "start": level.start(), "end": level.end(),
                          "num_start": level.start("price"), "match": level})
        # a price written next to a % figure belongs to it ("down 4.73% at $152.31",
        # "closed at $153.80, down 3.78%", "traded at $158.50 in pre-market dealing, up 3.06%")
        for item in [i for i in items if i["kind"] == "pct"]:
            after = _ATTACHED_PRICE.search(sentence, item["end"])
            if after and after.start() - item["end"] <= 30:
                item["price"] = _price(after)
                item["end"] = max(item["end"], after.end())
                for level in [i for i in items if i["kind"] == "level"]:
                    if level["match"].start("price") < after.end() and after.start("price") < level["match"].end("price"):
                        items.remove(level)
            for level in [i for i in items if i["kind"] == "level"]:
                gap = sentence[level["end"]:item["start"]]
                if level["end"] <= item["start"] and len(gap) <= 40 and not re.search(r"\b(then|later|before|after|but)\b|[;.]", gap, re.I):
                    if item["price"] is None:
                        item["price"] = _price(level["match"])
                    item["start"] = level["start"]
                    items.remove(level)
        items.sort(key=lambda i: i["start"])
        clause_breaks = [m.start() for m in _CLAUSE_BREAK.finditer(sentence)]
        # text between two claims goes to the earlier one up to its last "and"/",", the rest to
        # the later one ("+4% pre-market and +3.9% at the US open")
        splits = []
        for before, after_item in zip(items, items[1:]):
            gap = sentence[before["end"]:after_item["start"]]
            seps = list(re.finditer(r"\band\b|,", gap))
            splits.append(before["end"] + (seps[-1].start() if seps else len(gap)))
        for index, item in enumerate(items):
            clause_start = max([b for b in clause_breaks if b <= item["num_start"]], default=0)
            clause_end = min([b for b in clause_breaks if b > item["num_start"]], default=len(sentence))
            lo = max(clause_start, splits[index - 1] if index else 0)
            hi = min(clause_end, splits[index] if index < len(splits) else len(sentence))
            lo, hi = min(lo, item["start"]), max(hi, item["end"])
            scope = sentence[lo:hi]
            claim = _build_claim(item, sentence, scope, lo, field_name, quote, offset)
            if claim is None:
                continue
            if not _about_a_share_price(sentence, scope, item, cues, alias_pattern):
                continue
            anchor = item["num_start"] - lo
            listing, _ = _nearest_cue(cues, scope, anchor)
            if listing is None:
                listing, _ = _nearest_cue(cues, sentence, item["num_start"])
            if listing is None:
                listing = _last_cue_before(cues, plain, offset + item["start"]) or default_listing
            claim.listing = listing
            claim.measure = _measure(scope)
            own_words = scope
            if claim.measure == "unspecified" and fallback_measure_text:
                claim.measure = _measure(fallback_measure_text)
                own_words = scope if claim.measure == "unspecified" else f"{scope} {fallback_measure_text}"
            claim.day_hint = _day_hint(scope) or _day_hint(sentence)
            claim.instant = instant_of(own_words) if claim.measure in ("intraday", "unspecified") else None
            claims.append(claim)
    return claims


def _about_a_share_price(sentence, scope, item, cues, alias_pattern) -> bool:
    """False for revenue/tariff/index figures; True when the sentence is about the shares."""
    start = max(0, item["num_start"] - 50)
    window = sentence[start:item["num_start"]]
    if _NOT_A_PRICE.search(window):
        return False
    if _STOCK_WORDS.search(sentence):
        return True
    if any(cue.pattern.search(sentence) for cue in cues):
        return True
    return bool(alias_pattern and alias_pattern.search(sentence))


def _build_claim(item, sentence, scope, scope_start, field_name, quote, offset) -> Claim | None:
    if item["kind"] == "pct":
        number = float(item["number"])
        decimals = len(item["number"].split(".")[1]) if "." in item["number"] else 0
        if item["verb"]:
            direction = _direction(item["verb"], item["sign"])
        else:
            direction = "down" if item["sign"] == "-" else "up"
        if number == 0:
            direction = "flat"
        size = -number if direction == "down" else number
        price, currency = item["price"] if item["price"] else (None, None)
        return Claim(field_name, quote, None, direction, size, _qualifier(item["qual"], item["plus"]),
                     decimals, price, currency, "unspecified", None, offset + item["start"])
    match = item["match"]
    price, currency = _price(match)
    flat = re.search(r"\b(unchanged|flat)\b", match.group("gap") or "", re.I)
    return Claim(field_name, quote, None, "flat" if flat else None, 0.0 if flat else None,
                 "exact", 2, price, currency, "unspecified", None, offset + item["start"])
