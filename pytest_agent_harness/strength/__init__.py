"""The strength gate: a refactored suite must still catch what the original suite caught.

``mutants.py`` picks a seeded sample of mutants of the code under test (cosmic-ray's
operators); ``measure.py`` measures coverage per test; ``runner.py`` runs each mutant against
the tests that cover it, one pytest process per mutant in a private copy of the project, judged
by that process's exit status; ``gate.py`` compares a suite's strength with the baseline's.
"""
