"""hardaudit: agentless, read-only infrastructure hardening auditor."""

__version__ = "0.1.0"
