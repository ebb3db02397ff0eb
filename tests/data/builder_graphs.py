"""The builders' graphs as a user's file exposes them: compiled, without a checkpointer.

Named by ``tests/data/builder_graphs.py:<attr>`` in the headless write-command tests.
"""

from tests.builders import batch_graph, fanout_graph, notes_graph, review_graph, steps_graph

steps = steps_graph(None)
review = review_graph(None)
notes = notes_graph(None)
fanout = fanout_graph(None)
batch = batch_graph(None)
