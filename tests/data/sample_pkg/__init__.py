"""A user's package, loaded as ``sample_pkg.agent:graph`` from its parent folder."""
