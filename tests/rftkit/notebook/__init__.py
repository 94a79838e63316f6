"""Tests of rftkit.notebook."""
