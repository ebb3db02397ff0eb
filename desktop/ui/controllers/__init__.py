"""Controllers of the window's features: asyncio work for one feature each (the Graph
pane, live watch, the Store view), and the mixins the window's Controller is made of
(opening, checkpoint_view, time_travel, live_runs)."""
