"""The deployed half: the catalog search tool and the endpoint grader the RFT training service calls."""

__version__ = "0.1.0"
