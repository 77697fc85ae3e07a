# Shared test set-up: the python/ wrapper on sys.path and the host library
# built before any test loads it.
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON_DIR = os.path.join(ROOT, "python")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)


def pytest_configure(config):
    subprocess.run(["make", "-s", "-C", ROOT, "host"], check=True)
