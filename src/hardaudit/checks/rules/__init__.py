"""Registered Python evaluators, one module per check family (imported for registration)."""
