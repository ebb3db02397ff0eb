"""Controllers of the window's features beyond reading and running (the Graph pane...)."""
