"""Tests of the Azure deployment: Bicep, azure.yaml, hooks, the documented CLI sequence."""
