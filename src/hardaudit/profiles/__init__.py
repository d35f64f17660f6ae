"""Profiles: what "hardened" means for one kind of host (checks, variables, manual items)."""
