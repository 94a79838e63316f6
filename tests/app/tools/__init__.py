"""Tests of catalog_tools/tools."""
