"""Tests of rftkit.util."""
