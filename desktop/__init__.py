"""The Interlock desktop app: a PySide6 view over the engine (canvas, docks, runs)."""
