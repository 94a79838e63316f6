"""Tests of rftkit.graders."""
