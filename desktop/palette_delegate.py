"""Draws a palette entry: icon, the kind's name in bold, its description below in grey."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

NAME_ROLE = Qt.ItemDataRole.UserRole
DESCRIPTION_ROLE = Qt.ItemDataRole.UserRole + 1
ICON_SIZE, PAD = 22, 6
WRAP = int(Qt.TextFlag.TextWordWrap)

Index = QModelIndex | QPersistentModelIndex


class KindDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        option.icon = QIcon()
        widget = option.widget
        if widget is not None:  # background, hover and selection as the style draws them
            widget.style().drawControl(
                QStyle.ControlElement.CE_ItemViewItem, option, painter, widget
            )
        rect: QRect = option.rect
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QIcon):
            icon.paint(painter, QRect(rect.left() + PAD, rect.top() + PAD, ICON_SIZE, ICON_SIZE))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        color = option.palette.color(QPalette.ColorGroup.Normal, role)
        left = rect.left() + PAD * 2 + ICON_SIZE
        width = rect.right() - left - PAD

        painter.save()
        bold = QFont(option.font)
        bold.setBold(True)
        line = QFontMetrics(bold).height()
        painter.setFont(bold)
        painter.setPen(color)
        painter.drawText(QRect(left, rect.top() + PAD - 1, width, line), 0, _text(index, NAME_ROLE))
        painter.setFont(option.font)
        if not selected:
            color.setAlphaF(0.68)
        painter.setPen(color)
        body = QRect(left, rect.top() + PAD + line, width, rect.height() - line - PAD)
        painter.drawText(
            body, WRAP | int(Qt.AlignmentFlag.AlignTop), _text(index, DESCRIPTION_ROLE)
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        metrics = QFontMetrics(option.font)
        view = option.widget
        full = view.viewport().width() if isinstance(view, QAbstractItemView) else 220
        width = max(100, full - PAD * 3 - ICON_SIZE)
        body = metrics.boundingRect(QRect(0, 0, width, 1000), WRAP, _text(index, DESCRIPTION_ROLE))
        return QSize(max(full - 4, 100), PAD * 2 + metrics.height() + body.height() + 2)


def _text(index: Index, role: int) -> str:
    value = index.data(role)
    return "" if value is None else str(value)
