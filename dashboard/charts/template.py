"""A figure's Plotly template written into the figure itself, so the figure carries no template.

Why: ``st.plotly_chart`` draws every new chart twice — ``Plotly.newPlot``, then, after mounting,
``Plotly.react`` with a deep copy of the same figure. ``react`` compares the old figure with the
copy; a ``layout.template`` is compared by identity (plotly.js ``diffLayout``: ``template`` has
``valType: any``, ``editType: calc``), the copy's is a new object, and so the whole figure is
recomputed and redrawn — about 55 ms of our overlay's rerun in Chromium. With the template's
values written into the layout and traces, and ``layout.datarevision`` set, the copy is found
equal and the second draw is skipped (docs/benchmarks.md, issue 28 part 4).

The rules are plotly.js's own (``src/plot_api/plot_template.js``, ``Template.newContainer`` and
``arrayTemplater``): a template value applies where the figure sets none; ``layout.xaxis`` and
``layout.yaxis`` apply to every x and y axis (``xaxis2`` may have its own); ``<name>defaults``
applies to each item of the array ``<name>s``; ``data.<type>[i % n]`` applies to the i-th trace of
that type. Subplot containers the figure does not use (``geo``, ``polar``, ...) are left out.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import numpy as np
import plotly.graph_objects as go

_CARTESIAN = re.compile(r"(xaxis|yaxis)(\d*)")
# Layout containers that create or style a kind of subplot; taken only when the figure has one.
_SUBPLOT_KINDS = ("geo", "polar", "ternary", "scene", "mapbox", "map", "smith", "coloraxis")


def inline_template(fig: go.Figure) -> go.Figure:
    """``fig`` with its template's values written into its layout and traces, and no template.

    The figure looks the same; its JSON has no ``layout.template`` (tested against plotly.js's
    full figure). ``layout.datarevision`` is set (if unset) so that ``Plotly.react`` given an
    equal copy treats data arrays as unchanged instead of redrawing them."""
    spec = _plain_arrays(fig.to_plotly_json())
    layout = dict(spec.get("layout") or {})
    template = layout.pop("template", None) or {}
    if hasattr(template, "to_plotly_json"):
        template = template.to_plotly_json()
    by_type, seen = template.get("data") or {}, {}
    data = []
    for trace in spec["data"]:
        kind = trace.get("type", "scatter")
        data.append(_with_trace_defaults(trace, by_type.get(kind) or [], seen.get(kind, 0)))
        seen[kind] = seen.get(kind, 0) + 1
    layout = _with_layout_defaults(layout, template.get("layout") or {}, data)
    # A revision per content: react() then compares arrays by this, not element by element.
    layout.setdefault("datarevision", hashlib.blake2b(
        json.dumps(data, sort_keys=True, default=str).encode(), digest_size=8).hexdigest())
    out = go.Figure(data=data, layout=layout, frames=spec.get("frames") or None, skip_invalid=False)
    out.layout.template = None  # plotly.py would otherwise add its default template back
    return out


def _with_trace_defaults(trace: dict, defaults: list[dict], nth: int) -> dict:
    """The n-th trace of its type takes the type's template ``nth % len`` (plotly.js's cycle)."""
    if not defaults:
        return trace
    item = dict(defaults[nth % len(defaults)])
    item.pop("type", None)
    return _merge(item, trace)


def _with_layout_defaults(layout: dict, template: dict, data: list[dict]) -> dict:
    out = dict(layout)
    used_axes = set(k for k in layout if _CARTESIAN.fullmatch(k))
    oriented = _position_axes(data)
    for trace in data:  # an axis a trace names but the layout does not list is still drawn
        for letter in ("x", "y"):
            ref = trace.get(f"{letter}axis", letter) if "type" not in trace or trace["type"] in _XY_TYPES else None
            if ref:
                used_axes.add(f"{letter}axis{ref[1:]}")
    for key in used_axes:
        axis_template = template.get(key) or template.get(_CARTESIAN.fullmatch(key).group(1))
        if axis_template:
            given = layout.get(key) or {}
            out[key] = _merge(axis_template, given)
            out[key].update(_implied_flags(given, axis_template, grid_default=key not in oriented))
    for key, value in template.items():
        if _CARTESIAN.fullmatch(key) or key.endswith("defaults"):
            continue
        if key in _SUBPLOT_KINDS and key not in layout:
            continue
        out[key] = _merge(value, layout[key]) if key in layout else value
    for key, value in template.items():
        items = key[:-len("defaults")] + "s" if key.endswith("defaults") else None
        if items and isinstance(out.get(items), list):
            out[items] = [_merge(value, item) for item in out[items]]
    return out


# plotly.js turns a line on when the *figure* gives its colour or width, not when a template does
# (``Lib.coerce2`` counts only the input; ``cartesian/line_grid_defaults.js``). Written into the
# figure, a template's ``linecolor`` would draw axis lines the template never drew, so each flag
# is set to what plotly.js resolves for the templated figure.
_FLAG_GROUPS = (
    ("showline", ("linecolor", "linewidth"), False),
    ("showgrid", ("gridcolor", "gridwidth", "griddash"), None),   # None: the axis's grid default
    ("zeroline", ("zerolinecolor", "zerolinewidth", "zerolinelayer"), None),
)
# Traces with an orientation: their position axis has no grid or zero line by default
# (``cartesian/layout_defaults.js``: ``showGrid: !positionAxis``).
_ORIENTED_V = frozenset({"bar", "histogram", "waterfall", "funnel"})
_UNSUPPORTED = frozenset({"box", "violin"})  # orientation inferred from the data: not emulated


def _implied_flags(given: dict, axis_template: dict, *, grid_default: bool) -> dict:
    flags = {}
    for flag, implying, default in _FLAG_GROUPS:
        if flag in given or flag in axis_template or not any(k in axis_template for k in implying):
            continue  # set by the figure or the template, or nothing of the template implies it
        flags[flag] = (grid_default if default is None else default) or any(given.get(k) for k in implying)
    return flags


def _position_axes(data: list[dict]) -> set[str]:
    axes = set()
    for trace in data:
        kind = trace.get("type", "scatter")
        if kind in _UNSUPPORTED:
            raise ValueError(f"inline_template: {kind} traces are not supported (orientation from data)")
        if kind in _ORIENTED_V:
            letter = "y" if trace.get("orientation") == "h" else "x"
            ref = trace.get(f"{letter}axis", letter)
            axes.add(f"{letter}axis{ref[1:]}")
    return axes


# Trace types drawn on cartesian x/y axes (the only subplots our figures use).
_XY_TYPES = frozenset({"scatter", "scattergl", "bar", "histogram", "box", "violin", "candlestick", "ohlc",
                       "heatmap", "contour", "histogram2d", "histogram2dcontour", "image", "waterfall", "funnel"})


def _plain_arrays(value: Any) -> Any:
    """Numpy arrays as plain lists. plotly.py (6+) writes them as base64 typed arrays
    (``{"dtype", "bdata", "shape"}``), and ``Plotly.react`` counts a typed array as changed on
    every comparison (only plain arrays are left to ``datarevision``): that would bring the
    second draw back."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            shape = value.get("shape")
            if shape:
                array = array.reshape([int(n) for n in str(shape).split(",")])
            if array.dtype == np.float32:  # each value's shortest decimal, not float64's 17 digits
                return [float(text) for text in array.astype(str)]
            return array.tolist()
        return {key: _plain_arrays(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_arrays(item) for item in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":  # as plotly.py's JSON writes them: ISO text, not epoch numbers
            return np.datetime_as_string(value).tolist()
        return value.tolist()
    return value


def _merge(defaults: Any, given: Any) -> Any:
    """``given`` over ``defaults``: objects merge key by key, anything else is ``given``'s."""
    if isinstance(defaults, dict) and isinstance(given, dict):
        merged = dict(defaults)
        for key, value in given.items():
            merged[key] = _merge(defaults[key], value) if key in defaults else value
        return merged
    return given
