"""Tests of rftkit.jobs."""
