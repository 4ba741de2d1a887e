"""The Streamlit floor for the page benchmark (`dashboard.bench.page`): the least a Streamlit page
can do to show what our chart shows — BABA and 9988.HK 1-minute closes for the same window, from
the same DuckDB file (read-only), in one Plotly figure, with the same "Prices as" radio, whose
choice changes the values drawn (a real rerun). No caching, no downsampling: the bundled window
holds ~5k bars, fewer than our 4,000-point budget per listing, so ours sends them all too.

Run by the benchmark as ``streamlit run floor_page.py`` with FLOOR_DB in the environment and the
window in the URL (``?start=…&end=…``, UTC, ISO 8601). It opens DuckDB itself: it is the baseline, not the app.
"""
import os

import duckdb
import plotly.graph_objects as go
import streamlit as st

MODES = {"price": "Price (listing currency)", "pct": "% change from a reference time",
         "usd": "USD per ADS (both listings)"}
mode = st.sidebar.radio("Prices as", list(MODES), format_func=MODES.get)
with duckdb.connect(os.environ["FLOOR_DB"], read_only=True) as con:
    con.execute("SET TimeZone = 'UTC'")
    bars = con.execute(  # 9988.HK in USD per ADS: × 8 shares ÷ the last USD/HKD quote (ASOF)
        "SELECT b.symbol, b.ts, b.close, fx.close AS usdhkd FROM bars b ASOF LEFT JOIN "
        "(SELECT ts, close FROM bars WHERE symbol = 'HKD=X') fx ON b.ts >= fx.ts "
        "WHERE b.symbol IN ('BABA', '9988.HK') AND b.ts >= ? AND b.ts < ? ORDER BY b.symbol, b.ts",
        [st.query_params["start"], st.query_params["end"]]).df()
fig = go.Figure()
for symbol, rows in bars.groupby("symbol", sort=False):
    y = rows["close"]
    if mode == "pct":
        y = (y / y.iloc[0] - 1) * 100
    elif mode == "usd" and symbol == "9988.HK":
        y = y * 8 / rows["usdhkd"]
    fig.add_scatter(x=rows["ts"], y=y, name=symbol, mode="lines")
st.plotly_chart(fig, key="floor_chart")
