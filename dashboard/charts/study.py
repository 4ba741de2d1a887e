"""The event study's CAAR figure: per listing, the mean cumulative abnormal return after the
first tradable bar with its 95% band, and optionally one event's own CAR path with its band.

Data in (the study's ``caar_paths`` and ``paths`` frames), ``go.Figure`` out. On synthetic bars
the figure says so in its title and a badge: statistics of made-up bars describe nothing real.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.header import legend_layout
from dashboard.charts.style import THEMES, plain
from dashboard.charts.template import inline_template
from dashboard.config import SYNTHETIC_LABEL

# One colour per listing (Okabe–Ito, colour-blind safe), in the order the listings come.
LISTING_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
BAND_Z = 1.96
HEIGHT_PX = 420  # with the legend's rows added below
# Margins that hold what the axes draw beside the plot (as the overlay's, charts/style.py: one
# too small makes Plotly lay the figure out twice): the y tick labels and title 73 px to the
# left (78 px in DejaVu Sans); the x tick labels and title 52 px below, then the legend, in the
# bottom margin.
MARGIN_LEFT, MARGIN_RIGHT, X_AXIS_PX = 82, 24, 56


def _band(fig, x, low, high, colour: str, name: str, group: str) -> None:
    """A filled band between ``low`` and ``high`` (drawn as one closed polygon)."""
    xs = np.concatenate([x, x[::-1]])
    ys = np.concatenate([high, low[::-1]])
    fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", fillcolor=_tint(colour), line={"width": 0},
                             hoverinfo="skip", showlegend=False, name=name, legendgroup=group))


def _tint(colour: str, alpha: float = 0.16) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def caar_figure(caar_paths: pd.DataFrame, *, synthetic: bool, title: str = "Event study",
                event_path: pd.DataFrame | None = None, event_label: str = "", model: str = "market",
                interval: str = "5m", theme: str = "light") -> go.Figure:
    """CAAR per listing (x: minutes from the first tradable bar; y: CAAR as a fraction, shown as
    %) with its 95% band; ``event_path`` (one event's ``paths`` rows) adds that event's CAR."""
    colours = THEMES.get(theme, THEMES["light"])
    fig = go.Figure()
    symbols = list(dict.fromkeys(caar_paths["symbol"])) if len(caar_paths) else []
    for i, symbol in enumerate(symbols):
        colour = LISTING_COLOURS[i % len(LISTING_COLOURS)]
        rows = caar_paths[caar_paths["symbol"] == symbol].sort_values("minutes")
        x = rows["minutes"].to_numpy(dtype="float64")
        _band(fig, x, rows["low"].to_numpy(dtype="float64"), rows["high"].to_numpy(dtype="float64"),
              colour, f"{symbol} 95% band", symbol)
        fig.add_trace(go.Scatter(
            x=x, y=rows["caar"], mode="lines+markers", legendgroup=symbol,
            name=f"{plain(symbol)} CAAR ({int(rows['n_events'].max())} events, 95% band)",
            line={"color": colour, "width": 2}, marker={"size": 4},
            customdata=np.column_stack([rows["n_events"], rows["low"], rows["high"]]),
            hovertemplate=(f"{plain(symbol)}<br>%{{x:.0f}} min after the first bar<br>CAAR %{{y:.2%}}"
                           "<br>95%% band %{customdata[1]:.2%} … %{customdata[2]:.2%}<br>%{customdata[0]} events"
                           "<extra></extra>").replace("%%", "%"),
        ))
    if event_path is not None and len(event_path):
        for i, symbol in enumerate(dict.fromkeys(event_path["symbol"])):
            colour = LISTING_COLOURS[(symbols.index(symbol) if symbol in symbols else i) % len(LISTING_COLOURS)]
            rows = event_path[event_path["symbol"] == symbol].sort_values("minutes")
            x = rows["minutes"].to_numpy(dtype="float64")
            car, se = rows["car"].to_numpy(dtype="float64"), rows["se"].to_numpy(dtype="float64")
            _band(fig, x, car - BAND_Z * se, car + BAND_Z * se, colour, f"{symbol} event band", f"event {symbol}")
            fig.add_trace(go.Scatter(
                x=x, y=car, mode="lines", name=f"{plain(symbol)}: {plain(event_label, width=40) or 'selected event'}",
                legendgroup=f"event {symbol}", line={"color": colour, "width": 2, "dash": "dot"},
                hovertemplate=f"{plain(symbol)} selected event<br>%{{x:.0f}} min<br>CAR %{{y:.2%}}<extra></extra>",
            ))
    # The legend stands in the bottom margin (container-anchored), with room for one row per
    # entry (a width of 0 plans each on its own row): wrapped in any font at any width it needs no
    # more, so Plotly never has to push the margin itself (a wide figure keeps some room spare).
    legend_px = legend_layout([(t.legendgroup, t.name) for t in fig.data if t.showlegend is not False and t.name],
                              width_px=0)[1]
    heading = f"{plain(title)} — CAAR after the first tradable bar ({plain(model)} model, {plain(interval)} bars)"
    if synthetic:
        heading += f"<br><span style='color:#b00020'>{SYNTHETIC_LABEL}: these statistics describe made-up bars</span>"
    fig.update_layout(
        template=colours.template, height=HEIGHT_PX + legend_px,
        title={"text": heading, "x": 0.01, "font": {"size": 15}},
        margin={"t": 96 if synthetic else 70, "l": MARGIN_LEFT, "r": MARGIN_RIGHT, "b": X_AXIS_PX + legend_px},
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        hovermode="closest",
        xaxis={"title": "minutes from the first tradable bar", "zeroline": True},
        yaxis={"title": "cumulative abnormal return", "tickformat": ".1%", "zeroline": True},
    )
    if synthetic:
        fig.add_annotation(text=SYNTHETIC_LABEL, xref="paper", yref="paper", x=1.0, y=1.0, xanchor="right",
                           yanchor="bottom", showarrow=False, font={"color": "#b00020", "size": 12},
                           bgcolor="rgba(255,235,238,0.9)")
    if not symbols:
        fig.add_annotation(text="no event has a CAR path (see the table's notes)", xref="paper", yref="paper",
                           x=0.5, y=0.5, showarrow=False)
    return inline_template(fig)
