"""The run: the session loop (``loop``), its books (state, ledger, lock), git checkpoints, phase
choice, prompts, outcome classes and recovery, and the report of where a run stands.
"""
