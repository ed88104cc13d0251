import shutil
import tempfile
from pathlib import Path

import pytest

from deploy.stack import Stack


@pytest.fixture(scope="module")
def stack():
    """Its own stack, as `make run` starts it: the generated requests fill it with junk
    that the end-to-end tests must not see."""
    home = Path(tempfile.mkdtemp(prefix="amparo-contract-"))
    stack = Stack(home)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)
