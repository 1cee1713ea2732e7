"""`comfy_execution`: the execution helpers node packs import (graph building, blocking, context)."""
