"""comfyd: a self-hosted, durable, multi-user server for the ComfyUI frontend's APIs."""

__version__ = "0.1.0"
