"""The Sphinx extensions the book loads (see extra_extensions in _config.yml)."""
