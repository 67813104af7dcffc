"""The ``wlgen`` command line."""
