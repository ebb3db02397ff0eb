"""The builders' graphs as a user's file exposes them: compiled, without a checkpointer.

Named by ``tests/data/builder_graphs.py:<attr>`` in the headless write-command tests.
"""

from tests.builders import review_graph, steps_graph

steps = steps_graph(None)
review = review_graph(None)
