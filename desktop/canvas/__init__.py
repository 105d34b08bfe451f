"""The workflow canvas: a QGraphicsScene observing a WorkflowDocument, its items, its
view and the undo commands that are its only way to change the document."""
