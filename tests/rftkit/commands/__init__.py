"""Tests of rftkit.commands."""
