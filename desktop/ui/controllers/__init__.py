"""Controllers of the window's features beyond reading and running: asyncio work for one
feature each (the Graph pane, live watch, the Store view)."""
