"""Installing node packs from an api.comfy.org-compatible registry into a `custom_nodes` folder:
`installer` (install, list, uninstall), `records` (what an install leaves behind to recognise it
by), `dependencies` (pip, only when asked) and `errors`. `comfyd nodes` is the command line."""
