"""The per-row results of one evaluation as a Qt table model (variant, row, passed, each
scorer's score, cost, tokens, latency, run id; for a re-run of failing rows, whether each
row is fixed, broke or still fails), and the proxy that sorts it and can keep only the
failing rows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from engine.evaluation.summary import RowChange
from engine.store.evaluation_records import RowResult

FIXED_BEFORE = ["Variant", "Row", "Passed"]
FIXED_AFTER = ["Cost", "Tokens", "Latency", "Run"]
PASS_COLOR = QColor("#22a559")
FAIL_COLOR = QColor("#e0413a")
SORT_ROLE = Qt.ItemDataRole.UserRole
RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
Key = tuple[str, int, int]
CHANGE_TIPS = {
    "fixed": "Fixed: it failed in the earlier evaluation and passes now",
    "broke": "Broke: it passed in the earlier evaluation and fails now",
    "still failing": "Still failing: it failed in the earlier evaluation too",
}


class EvalRowsModel(QAbstractTableModel):
    """Rows in the order they finished; a row stored again (a resumed evaluation) replaces
    the earlier one."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[RowResult] = []
        self.scorers: list[str] = []
        self.changes: dict[Key, str] = {}
        """Row key -> fixed, broke or still failing (a re-run of failing rows)."""
        self._where: dict[Key, int] = {}

    # -- filling ---------------------------------------------------------------------------

    def reset(
        self,
        scorers: list[str],
        rows: list[RowResult] | None = None,
        changes: dict[Key, str] | None = None,
    ) -> None:
        self.beginResetModel()
        self.scorers = list(scorers)
        self.rows = list(rows or [])
        self.changes = dict(changes or {})
        self._where = {r.key: i for i, r in enumerate(self.rows)}
        self.endResetModel()

    def set_scorers(self, scorers: list[str]) -> None:
        if scorers != self.scorers:
            self.reset(scorers, self.rows, self.changes)

    def add(self, result: RowResult) -> None:
        at = self._where.get(result.key)
        if at is not None:
            self.rows[at] = result
            self.dataChanged.emit(self.index(at, 0), self.index(at, self.columnCount() - 1))
            return
        for scorer in result.scores:
            if scorer not in self.scorers:
                self.reset([*self.scorers, scorer], self.rows, self.changes)
        end = len(self.rows)
        self.beginInsertRows(QModelIndex(), end, end)
        self.rows.append(result)
        self._where[result.key] = end
        self.endInsertRows()

    # -- the table -------------------------------------------------------------------------

    def headers(self) -> list[str]:
        return [*FIXED_BEFORE, *self.scorers, *FIXED_AFTER]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(FIXED_BEFORE) + len(self.scorers) + len(FIXED_AFTER)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            headers = self.headers()
            return headers[section] if 0 <= section < len(headers) else None
        horizontal_tip = (
            orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole
        )
        if horizontal_tip and len(FIXED_BEFORE) <= section < len(FIXED_BEFORE) + len(self.scorers):
            return f"Score of {self.scorers[section - len(FIXED_BEFORE)]} (0..1)"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        result = self.rows[index.row()]
        column = index.column()
        if role == RUN_ID_ROLE:
            return result.run_id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(result, column)
        if role == SORT_ROLE:
            return self._key(result, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._color(result, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(result, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and 0 < column < self.columnCount() - 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _scorer(self, column: int) -> str | None:
        at = column - len(FIXED_BEFORE)
        return self.scorers[at] if 0 <= at < len(self.scorers) else None

    def _after(self, column: int) -> str | None:
        at = column - len(FIXED_BEFORE) - len(self.scorers)
        return FIXED_AFTER[at] if 0 <= at < len(FIXED_AFTER) else None

    def _text(self, r: RowResult, column: int) -> str:
        if column == 0:
            return r.variant
        if column == 1:
            return f"{r.row_index} #{r.repeat}" if r.repeat else str(r.row_index)
        if column == 2:
            passed = "yes" if r.passed else "no"
            if r.run_status not in ("succeeded",):
                passed = f"no ({r.run_status})"
            change = self.changes.get(r.key)
            return f"{passed} · {change}" if change else passed
        scorer = self._scorer(column)
        if scorer is not None:
            score = r.scores.get(scorer)
            return "—" if score is None else f"{score.score:.2f}"
        return {
            "Cost": f"${r.cost_usd:.4f}",
            "Tokens": str(r.tokens),
            "Latency": f"{r.latency_s:.2f}s",
            "Run": r.run_id or "—",
        }.get(self._after(column) or "", "")

    def _key(self, r: RowResult, column: int) -> Any:
        if column == 0:
            return r.variant
        if column == 1:
            return r.row_index * 1000 + r.repeat
        if column == 2:
            return int(r.passed)
        scorer = self._scorer(column)
        if scorer is not None:
            score = r.scores.get(scorer)
            return -1.0 if score is None else score.score
        return {
            "Cost": r.cost_usd,
            "Tokens": r.tokens,
            "Latency": r.latency_s,
            "Run": r.run_id or "",
        }.get(self._after(column) or "", 0)

    def _color(self, r: RowResult, column: int) -> QColor | None:
        if column == 2:
            return PASS_COLOR if r.passed else FAIL_COLOR
        scorer = self._scorer(column)
        if scorer is not None and scorer in r.scores and not r.scores[scorer].passed:
            return FAIL_COLOR
        return None

    def _tip(self, r: RowResult, column: int) -> str | None:
        scorer = self._scorer(column)
        if scorer is not None and scorer in r.scores:
            score = r.scores[scorer]
            verdict = "passed" if score.passed else "failed"
            return f"{scorer}: {score.score:.3f}, {verdict}" + (
                f"\n{score.reason}" if score.reason else ""
            )
        if column == 2 and r.key in self.changes:
            tip = CHANGE_TIPS.get(self.changes[r.key], "")
            return f"{tip}\n{r.error}" if r.error else tip
        if column == 2 and r.error:
            return r.error
        if r.run_id:
            return "Double-click to open this row's run"
        return r.error


class FailingFilterProxy(QSortFilterProxyModel):
    """Sorts on each cell's value; with `only_failing`, hides the rows that passed."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.only_failing = False
        self.setSortRole(SORT_ROLE)

    def set_only_failing(self, on: bool) -> None:
        self.beginFilterChange()
        self.only_failing = on
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self.only_failing:
            return True
        model = self.sourceModel()
        if not isinstance(model, EvalRowsModel) or not 0 <= source_row < len(model.rows):
            return True
        return not model.rows[source_row].passed


def change_marks(changes: list[RowChange], results: list[RowResult]) -> dict[Key, str]:
    """What each row of a re-run did against the evaluation it re-ran: fixed or broke (the
    rows `compare` found), still failing (a failing row that failed before too)."""
    marks = {c.after.key: c.change for c in changes}
    for result in results:
        if not result.passed and result.key not in marks:
            marks[result.key] = "still failing"
    return marks
