"""Fakes shared by the tests."""
