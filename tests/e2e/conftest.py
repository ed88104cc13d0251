import shutil
import tempfile
from pathlib import Path

import pytest

from tests.e2e.harness import Stack


@pytest.fixture(scope="session")
def stack():
    home = Path(tempfile.mkdtemp(prefix="amparo-e2e-"))
    stack = Stack(home)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)
