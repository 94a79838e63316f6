"""Tests of rftkit.sft."""
