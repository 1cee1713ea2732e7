"""The node-pack registry (api.comfy.org's `/nodes`, `/publishers` and `/versions` surface)."""
