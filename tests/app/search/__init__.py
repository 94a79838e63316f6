"""Tests of catalog_tools/search."""
