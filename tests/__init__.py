"""The test suite; what its modules share lives in tests/support."""

import pytest

# Asserts in the support helpers report their values like asserts in test modules do
# (registered here, before anything imports tests.support).
pytest.register_assert_rewrite("tests.support")
