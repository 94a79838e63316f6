"""Tests of rftkit.rollouts."""
