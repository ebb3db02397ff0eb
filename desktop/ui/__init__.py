"""The Rewind window (PySide6 + qasync). Nothing outside this package imports Qt."""
