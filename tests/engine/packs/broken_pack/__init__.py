"""A node pack that fails while it is imported; the loader must report it and load the others."""

raise RuntimeError("broken_pack fails on purpose at import time")
