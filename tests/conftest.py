pytest_plugins = ["pytest_agent_harness.testing.pytest_plugin"]
