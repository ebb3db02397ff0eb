"""Checkpoints and diffs turned into the documents the window shows, without Qt.

:mod:`.state` builds the state view's documents, :mod:`.diff` the diff view's, from the
message cards of :mod:`.messages` and the HTML pieces of :mod:`.markup`. All of it runs
in worker threads; widgets only receive finished documents.
"""
