import pytest

from lti.tests.platform import TestPlatform
from lti.tool import tool_jwks


@pytest.fixture
def test_platform(db):
    platform = TestPlatform()
    platform.model = platform.register()
    platform.tool_jwks = tool_jwks()
    yield platform
    platform.stop()
