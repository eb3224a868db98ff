"""The agent side of a session: the SDK adapter (``sdk``, the only SDK importer), the values a
session is described by (``session``), its transcript and its console display.

Importing this package loads nothing heavy; ``agent.sdk`` loads the SDK.
"""
