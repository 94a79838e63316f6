"""The stand-in's routes, mounted under /openai/v1."""
