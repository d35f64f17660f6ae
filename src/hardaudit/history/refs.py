"""Name a stored run: a report.json file, or a run of the history (`latest`, `latest~1`, id).

`audit diff A B` and `audit run --baseline REF` read their runs through `load_ref`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hardaudit.errors import ReportError
from hardaudit.report.load import load_report
from hardaudit.report.model import RunReport

if TYPE_CHECKING:
    from hardaudit.history.store import RunScope


def load_ref(ref: str, history_path: Path | None, scope: RunScope | None = None) -> RunReport:
    """The run `ref` names: an existing file is a report.json; anything else is a run ref
    resolved in the history at `history_path` (None: the default path).

    A ref that is neither says both ways it was tried (ReportError, exit 2). With a `scope`,
    `latest`/`latest~N` count only runs of the same audit (HistoryDB.resolve).
    """
    path = Path(ref)
    if path.is_file():
        return load_report(path)
    from hardaudit.history.store import HistoryDB, default_history_path

    where = history_path if history_path is not None else default_history_path()
    if not where.is_file():
        looks_like_file = ref.endswith(".json") or "/" in ref
        raise ReportError(
            f"{ref!r} is neither a report.json file nor a run of a history "
            f"(there is no history database at {where})",
            hint="give an existing report.json"
            if looks_like_file
            else "record runs first (audit run records into the history) or pass --history PATH",
        )
    with HistoryDB.open(where) as db:
        return db.load_run(db.resolve(ref, scope))
