"""The `comfyd` command line."""
