"""The intraday event study: is this move unusual for this listing at this time of day, and what
do events of one kind do on average? Three pure steps, each its own module and tested alone:

- :mod:`~.estimation`: the normal-return model over the estimation window (market model,
  market-adjusted, constant mean; residual variance scaled by time of day);
- :mod:`~.windows`: abnormal returns over the reaction table's windows → CAR, se, t, p;
- :mod:`~.pooling`: CAAR per listing and window and the cross-event tests.

:mod:`~.returns` makes the bar returns, :mod:`~.arrivals` finds when each event reaches each
listing (the reactions' rules), :mod:`~.table` runs the steps on the event × listing pairs and
:mod:`~.load` gathers the inputs. Formulas: docs/analysis.md.
"""
from dashboard.analysis.study.estimation import DEFAULT_ESTIMATION_SESSIONS, DEFAULT_MODEL, MODELS
from dashboard.analysis.study.pooling import POOLED_COLUMNS
from dashboard.analysis.study.returns import DEFAULT_INTERVAL, STUDY_INTERVALS
from dashboard.analysis.study.table import WINDOWS, StudyOptions, StudyResult, study_table

__all__ = [
    "DEFAULT_ESTIMATION_SESSIONS", "DEFAULT_INTERVAL", "DEFAULT_MODEL", "MODELS", "POOLED_COLUMNS",
    "STUDY_INTERVALS", "WINDOWS", "StudyOptions", "StudyResult", "study_table",
]
