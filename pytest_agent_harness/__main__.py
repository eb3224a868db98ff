"""``python -m pytest_agent_harness`` is the ``agent-harness`` command."""

from .cli import console_main

if __name__ == "__main__":
    console_main()
