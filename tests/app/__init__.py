"""Tests of the deployed app (function_app/, catalog_tools)."""
