import os
import signal

import pytest

# scikit-learn's array-API estimator check only runs when SciPy was imported
# with array-API support switched on; set it before anything imports SciPy so
# that the full estimator-check suite runs instead of skipping that check.
os.environ.setdefault("SCIPY_ARRAY_API", "1")


def pytest_collection_modifyitems(config, items):
    """Deselect the CUDA tests where there is no GPU, and say so."""
    import torch

    if torch.cuda.is_available():
        return
    cuda = [item for item in items if item.get_closest_marker("cuda")]
    if cuda:
        config.hook.pytest_deselected(items=cuda)
        items[:] = [item for item in items if not item.get_closest_marker("cuda")]


def pytest_report_header(config):
    import torch

    if torch.cuda.is_available():
        return f"CUDA: {torch.cuda.get_device_name(0)} (CUDA tests run)"
    return "CUDA: not available (tests marked 'cuda' are deselected)"


@pytest.fixture
def ctrl_c():
    """Ctrl-C as a user at a terminal has it: Python's KeyboardInterrupt handler.

    A test run started in the background (``nohup``, ``&`` in a script)
    inherits an ignored SIGINT, which Python then leaves ignored; the tests
    of what Ctrl-C does install the handler a terminal session has.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
