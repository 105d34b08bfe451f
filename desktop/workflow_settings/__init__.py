"""The workflow settings panel: metadata, declared inputs and the workflow policy, edited
as forms whose every change is one undo command checked as the file loader checks it."""
