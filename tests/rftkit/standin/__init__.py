"""Tests of rftkit.standin."""
