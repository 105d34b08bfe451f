"""PDF run reports with Qt's own PDF writer: the engine's Qt-subset HTML laid out by
QTextDocument (paginated, page numbers) with the SVG timeline drawn by QSvgRenderer.
Registered as the `pdf` renderer of the `interlock.report_formats` entry-point group."""

from __future__ import annotations

import logging

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QMarginsF, QUrl
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtSvg import QSvgRenderer

from engine.reports.html import TIMELINE_IMAGE, render_html
from engine.reports.model import RunReport
from engine.reports.timeline import timeline_svg

log = logging.getLogger(__name__)

SVG_WIDTH = 960
IMAGE_SCALE = 3
"""Pixels per SVG unit in the timeline image (sharp when printed at 300 dpi)."""
MARGIN_MM = 0.0
"""QTextDocument.print_ adds its own 2 cm margin (and the page numbers in it)."""

_app: QGuiApplication | None = None
"""Kept alive when this module had to create the application (headless CLI use)."""


def _ensure_gui() -> None:
    global _app
    if QCoreApplication.instance() is None:
        _app = QGuiApplication(["interlock-report"])


def timeline_image(report: RunReport) -> QImage:
    """The report's SVG timeline rendered to an image (white background)."""
    renderer = QSvgRenderer(QByteArray(timeline_svg(report, SVG_WIDTH).encode("utf-8")))
    size = renderer.defaultSize()
    image = QImage(
        size.width() * IMAGE_SCALE, size.height() * IMAGE_SCALE, QImage.Format.Format_ARGB32
    )
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    renderer.render(painter)
    painter.end()
    return image


def render_pdf(report: RunReport) -> bytes:
    """The report as PDF bytes (A4, paginated). Works offscreen (QT_QPA_PLATFORM=offscreen)."""
    _ensure_gui()
    document = QTextDocument()
    font = document.defaultFont()
    for tag in ("liga", "clig", "dlig"):  # text copied or searched in the PDF reads as typed
        font.setFeature(QFont.Tag(tag), 0)
    document.setDefaultFont(font)
    image = timeline_image(report)
    document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(TIMELINE_IMAGE), image)
    document.setHtml(render_html(report, "qt"))
    document.setMetaInformation(
        QTextDocument.MetaInformation.DocumentTitle, f"{report.workflow_name} — run {report.run_id}"
    )
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(f"Interlock run {report.run_id}")
    writer.setCreator("Interlock")
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(
        QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM), QPageLayout.Unit.Millimeter
    )
    writer.setResolution(300)
    document.print_(writer)
    buffer.close()
    log.debug("rendered PDF report of %s: %d bytes", report.run_id, data.size())
    return bytes(data.data())
