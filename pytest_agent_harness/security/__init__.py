"""Security policies: pure decisions, turned into fail-closed SDK hooks by ``hooks.py``."""
