"""Qt item models over the core's read-path records (threads, timeline)."""
