"""Qt-free core of Rewind: reading checkpoint databases, diffing states, running graphs.

Nothing in this package may import PySide6, qasync or shiboken6.
"""
