"""Checks: the model, the YAML loader, evaluators and the engine that applies them to facts."""
