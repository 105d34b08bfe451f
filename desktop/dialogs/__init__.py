"""Dialogs: run inputs, approvals, run comparison, models and endpoints, settings."""
