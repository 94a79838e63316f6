"""Checks of the repository as a whole: the docs' links and outputs, no private references."""
