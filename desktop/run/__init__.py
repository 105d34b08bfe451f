"""Running, watching, approving and looking back at runs: the desktop side of the engine."""
