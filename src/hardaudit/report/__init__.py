"""Reports: the run model and its renderers (terminal, JSON, HTML, JUnit, SARIF)."""
