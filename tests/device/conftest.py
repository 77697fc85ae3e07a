# The files here are a unittest suite for boards (and the unix micropython),
# run by tests/device/run.py; pytest runs them through tests/test_device_suite.py,
# not by collecting them (they need the `machine` stand-in on the path).
collect_ignore_glob = ["*.py"]
