"""The desk's day at a New York branch (desk/tests/test_selectors.py) for every desk test."""

from desk.tests.test_selectors import at_10_20, desk  # noqa: F401 (fixtures)
