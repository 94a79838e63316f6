"""Tests of rftkit.data."""
