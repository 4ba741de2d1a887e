"""Moved to :mod:`dashboard.screen` (issue 10); this name stays importable for code written
against it. New code imports ``dashboard.screen``."""
from dashboard.screen import *  # noqa: F401,F403
from dashboard.screen import __all__  # noqa: F401
