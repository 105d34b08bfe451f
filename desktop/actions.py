"""The main window's actions, menus and toolbar, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from desktop.resources import example_title, examples, icon

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

Key = QKeySequence.StandardKey


@dataclass
class Actions:
    new: QAction
    open: QAction
    open_example: QAction
    save: QAction
    save_as: QAction
    revert: QAction
    close: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    delete: QAction
    cut: QAction
    copy: QAction
    paste: QAction
    duplicate: QAction
    select_all: QAction
    zoom_in: QAction
    zoom_out: QAction
    zoom_fit: QAction
    zoom_reset: QAction
    validate: QAction
    run: QAction
    stop: QAction
    about: QAction
    recent_menu: QMenu


def build_actions(window: MainWindow) -> Actions:
    style = window.style()
    SP = QStyle.StandardPixmap

    def action(
        text: str,
        slot: object,
        shortcut: QKeySequence.StandardKey | str | list[QKeySequence] | None = None,
        icon_: QIcon | None = None,
    ) -> QAction:
        act = QAction(text, window)
        if isinstance(shortcut, list):
            act.setShortcuts(shortcut)
        elif shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if icon_ is not None:
            act.setIcon(icon_)
        act.triggered.connect(slot)
        return act

    stack = window.undo_stack
    undo = stack.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence(Key.Undo))
    undo.setIcon(style.standardIcon(SP.SP_ArrowBack))
    undo.setIconText("Undo")  # the toolbar keeps a fixed label; menus name the command
    redo = stack.createRedoAction(window, "&Redo")
    redo.setShortcut(QKeySequence(Key.Redo))
    redo.setIcon(style.standardIcon(SP.SP_ArrowForward))
    redo.setIconText("Redo")
    view = window.view
    acts = Actions(
        new=action("&New", window.new_file, Key.New, style.standardIcon(SP.SP_FileIcon)),
        open=action("&Open…", window.open_file, Key.Open, style.standardIcon(SP.SP_DirOpenIcon)),
        open_example=action("Open E&xample", window.open_example),
        save=action("&Save", window.save, Key.Save, style.standardIcon(SP.SP_DialogSaveButton)),
        save_as=action("Save &As…", window.save_as, Key.SaveAs),
        revert=action("Re&vert", window.revert),
        close=action(  # this tab, or the window
            "&Close", window.close, [QKeySequence("Ctrl+W"), QKeySequence("Ctrl+F4")]
        ),
        quit=action("&Quit", lambda: window.window().close(), Key.Quit),
        undo=undo,
        redo=redo,
        delete=action(
            "&Delete",
            window.scene.delete_selection,
            [QKeySequence(Key.Delete), QKeySequence(Qt.Key.Key_Backspace)],
        ),
        cut=action("Cu&t", window.scene.cut_selection, Key.Cut),
        copy=action("&Copy", window.scene.copy_selection, Key.Copy),
        paste=action("&Paste", lambda: window.scene.paste(), Key.Paste),
        duplicate=action("D&uplicate", window.scene.duplicate_selection, "Ctrl+D"),
        select_all=action("Select &All", window.scene.select_all, Key.SelectAll),
        zoom_in=action(
            "Zoom &In", view.zoom_in, [QKeySequence(Key.ZoomIn), QKeySequence("Ctrl+=")]
        ),
        zoom_out=action("Zoom &Out", view.zoom_out, Key.ZoomOut),
        zoom_fit=action("Zoom to &Fit", view.zoom_fit, "Ctrl+9"),
        zoom_reset=action("&Actual Size", view.zoom_reset, "Ctrl+0"),
        validate=action(
            "&Validate", window.validate_now, "F7", style.standardIcon(SP.SP_DialogApplyButton)
        ),
        run=action("&Run", window.run_workflow, [QKeySequence("F5"), QKeySequence("Ctrl+R")]),
        stop=action("&Stop", window.run_controller.stop, "Shift+F5"),
        about=action("&About Interlock", window.about),
        recent_menu=QMenu("Open &Recent", window),
    )
    acts.run.setIcon(style.standardIcon(SP.SP_MediaPlay))
    acts.stop.setIcon(style.standardIcon(SP.SP_MediaStop))
    acts.stop.setEnabled(False)
    acts.about.setIcon(icon("interlock"))
    # Delete and Select All act on the canvas only, so text fields keep their own keys.
    canvas_only = (acts.delete, acts.cut, acts.copy, acts.paste, acts.duplicate, acts.select_all)
    for act in canvas_only:
        act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        view.addAction(act)
    _menus(window, acts)
    _toolbar(window, acts)
    return acts


def _menus(window: MainWindow, a: Actions) -> None:
    bar = window.menuBar()
    file = bar.addMenu("&File")
    for item in (a.new, a.open):
        file.addAction(item)
    file.addMenu(a.recent_menu)
    file.addAction(a.open_example)
    from_example = file.addMenu("New from Examp&le")  # the start panel's cards too
    for path in examples():
        from_example.addAction(example_title(path), partial(window.open_example_file, path))
    file.addSeparator()
    for item in (a.save, a.save_as, a.revert):
        file.addAction(item)
    file.addSeparator()
    file.addAction(a.close)
    file.addAction(a.quit)
    edit = bar.addMenu("&Edit")
    for item in (a.undo, a.redo):
        edit.addAction(item)
    edit.addSeparator()
    for item in (a.cut, a.copy, a.paste, a.duplicate):
        edit.addAction(item)
    edit.addSeparator()
    for item in (a.delete, a.select_all):
        edit.addAction(item)
    view = bar.addMenu("&View")
    for item in (a.zoom_in, a.zoom_out, a.zoom_fit, a.zoom_reset):
        view.addAction(item)
    view.addSeparator()
    window.panels_menu = view.addMenu("&Panels")
    run = bar.addMenu("&Workflow")
    for item in (a.validate, a.run, a.stop):
        run.addAction(item)
    window.workflow_menu = run
    bar.addMenu("&Help").addAction(a.about)


def _toolbar(window: MainWindow, a: Actions) -> None:
    tools = QToolBar("Main", window)
    tools.setObjectName("main_toolbar")
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    tools.setMovable(False)
    for item in (a.new, a.open, a.save):
        tools.addAction(item)
    tools.addSeparator()
    for item in (a.undo, a.redo):
        tools.addAction(item)
    tools.addSeparator()
    for item in (a.zoom_fit,):
        tools.addAction(item)
    tools.addSeparator()
    for item in (a.validate, a.run, a.stop):
        tools.addAction(item)
    window.addToolBar(tools)
    window.main_toolbar = tools
