"""Helpers shared by the test suites: factories that put rows where a test needs them."""
