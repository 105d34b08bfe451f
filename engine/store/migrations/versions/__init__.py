"""Alembic revision scripts of the run store, one per schema change, oldest first."""
