"""Fixtures of the performance tests: the workflow tests' demo world (tests/workflow/conftest.py),
and its committed variant for tests with threads (tests/security/conftest.py)."""

from tests.security.conftest import demo_tx  # noqa: F401  (fixtures re-exported)
from tests.workflow.conftest import demo  # noqa: F401
