"""Tests of catalog_tools/http."""
