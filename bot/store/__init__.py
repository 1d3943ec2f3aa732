"""Where owners' progress is kept: a small port with an in-memory twin and a TinyDB default."""
