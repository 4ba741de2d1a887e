"""The event-study view's core (no Streamlit): the study for the screen's scope, and its
pooled and per-event tables as the screen shows them (CARs in %, tests to two decimals)."""
from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard import store
from dashboard.analysis.study import StudyOptions, StudyResult
from dashboard.analysis.study.load import study
from dashboard.analysis.study.table import public_events
from dashboard.formatting import short_time, signed_pct
from dashboard.screen.scope import AnalysisScope

WINDOW_LABELS = {"5m": "5 min", "15m": "15 min", "30m": "30 min", "60m": "60 min",
                 "session_close": "to close", "next_close": "to next close"}
STUDY_HELP = ("Abnormal returns against a model fitted on the 20 sessions before each event (other events' "
              "windows left out; variance scaled by time of day), cumulated over the reaction windows, then "
              "pooled per listing. The tests and their sources: docs/analysis.md, \"Event study\".")


def study_options(scope: AnalysisScope, **chosen: Any) -> StudyOptions:
    """The study's options for the screen: its extended-hours toggle, plus what the view picks."""
    return StudyOptions(extended=scope.extended_hours, **chosen)


def load_study(db: Any, scope: AnalysisScope, options: StudyOptions | None = None) -> StudyResult:
    """analysis.study for the screen's events (every listing of the company)."""
    with store.as_database(db).read() as con:
        return study(con, scope.selection(), options or study_options(scope))


def _number(value, digits: int = 2, signed: bool = True) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):+.{digits}f}".replace("-", "−") if signed else f"{float(value):.{digits}f}"


def pooled_rows(result: StudyResult) -> pd.DataFrame:
    """Per listing and window: N, CAAR (%) and each test as 'statistic (p)'."""
    columns = ["listing", "window", "events", "CAAR", "cross-sectional t", "Patell Z", "BMP", "Kolari–Pynnönen",
               "rank (Corrado)", "sign (Cowan)"]
    pooled = result.pooled
    if pooled.empty:
        return pd.DataFrame(columns=columns)

    def test(stat, p):
        return [f"{_number(s)} (p {_number(q, 3, signed=False)})" if pd.notna(s) else "" for s, q in zip(pooled[stat], pooled[p])]

    return pd.DataFrame({
        "listing": pooled["symbol"], "window": pooled["window"].map(WINDOW_LABELS),
        "events": pooled["n_events"], "CAAR": [signed_pct(v * 100) for v in pooled["caar"]],
        "cross-sectional t": test("t_cs", "p_cs"), "Patell Z": test("z_patell", "p_patell"),
        "BMP": test("z_bmp", "p_bmp"), "Kolari–Pynnönen": test("z_kp", "p_kp"),
        "rank (Corrado)": test("z_rank", "p_rank"), "sign (Cowan)": test("z_sign", "p_sign"),
    }, columns=columns)


def event_rows(result: StudyResult, zone: str) -> pd.DataFrame:
    """Per event and listing: CAR (%) and t per window, beta, the estimation bars and the note."""
    events = public_events(result)
    windows = list(WINDOW_LABELS)
    columns = ["event_id", "event time", "event", "listing", *[f"CAR {WINDOW_LABELS[w]}" for w in windows],
               *[f"t {WINDOW_LABELS[w]}" for w in windows], "beta", "estimation bars", "overlaps", "notes"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    wide = events.pivot_table(index=["event_id", "symbol"], columns="window", values=["car", "t"], aggfunc="first",
                              dropna=False)
    first = events.drop_duplicates(["event_id", "symbol"]).set_index(["event_id", "symbol"])
    out = pd.DataFrame({
        "event_id": [k[0] for k in first.index],
        "event time": [short_time(t, zone, p) for t, p in zip(first["event_ts"], first["precision"])],
        "event": first["headline"].to_numpy(), "listing": [k[1] for k in first.index],
    })
    for w in windows:
        car = wide["car"][w] if ("car", w) in wide.columns else pd.Series(dtype=float)
        t = wide["t"][w] if ("t", w) in wide.columns else pd.Series(dtype=float)
        out[f"CAR {WINDOW_LABELS[w]}"] = [signed_pct(car.get(k, float("nan")) * 100) for k in first.index]
        out[f"t {WINDOW_LABELS[w]}"] = [_number(t.get(k, float("nan"))) for k in first.index]
    out["beta"] = [_number(b, 2, signed=False) for b in first["beta"]]
    out["estimation bars"] = first["n_estimation_bars"].to_numpy()
    overlapping = events.groupby(["event_id", "symbol"])["overlaps"].any()
    out["overlaps"] = [bool(overlapping.get(k, False)) for k in first.index]
    out["notes"] = first["note"].fillna("").to_numpy()
    return out[columns]
