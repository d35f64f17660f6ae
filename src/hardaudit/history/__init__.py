"""The run history (SQLite): recording runs, first_seen streaks, trends, retention.

Imports the report model, never transport or facts; report/ never imports history/.
"""
