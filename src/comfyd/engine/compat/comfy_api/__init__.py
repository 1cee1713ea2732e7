"""`comfy_api`: ComfyUI's versioned node API. comfyd provides the progress part of it so far."""
