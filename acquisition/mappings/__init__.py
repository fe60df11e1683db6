"""Built-in channel mappings (package data); see :mod:`acquisition.mapping` for the format."""
