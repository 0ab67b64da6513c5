"""Clarion: plan, check, preview and publish awareness-week campaigns."""

__version__ = "0.1.0"
