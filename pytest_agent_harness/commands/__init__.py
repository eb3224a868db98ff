"""One module per subcommand, shared by the ``agent-harness`` script and the pytest plugin; ``exit``
is the one path by which every command's errors become messages and exit codes.
"""
