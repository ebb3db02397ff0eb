"""Rewind: a desktop time-travel debugger for LangGraph agents."""

__version__ = "0.1.0"
