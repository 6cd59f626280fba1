"""MoodleLogSmart backend."""

__version__ = "1.4.2"
