"""Tests of the client toolkit, one folder per rftkit subpackage."""
