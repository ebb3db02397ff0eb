"""The delta tests' graphs as a user's file exposes them: compiled, without a checkpointer.

Named by ``tests/data/delta_graphs.py:<attr>`` in ``rewind export --graph`` tests.
"""

from tests.delta_builders import chat_graph, tally_graph

tally = tally_graph(None)
chat = chat_graph(None)
