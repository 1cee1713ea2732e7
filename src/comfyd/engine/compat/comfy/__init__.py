"""`comfy`: the parts of ComfyUI's `comfy` package that node packs import.

Only what packs reach for lives here (progress bars, interruption, devices, node typing); the
model code of ComfyUI (`comfy.sd`, `comfy.samplers`, ...) is not provided.
"""
