"""Facts: the one remote script that gathers everything, and pure parsers of its output."""
