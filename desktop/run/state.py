"""The run as the views see it: the engine's one fold of the event stream
(`engine.runtime.fold`), re-exported for the app's views."""

from engine.runtime.fold import STATES, Attempt, NodeRun, RunState, Span, fold
from engine.runtime.status import TERMINAL

__all__ = ["STATES", "TERMINAL", "Attempt", "NodeRun", "RunState", "Span", "fold"]
