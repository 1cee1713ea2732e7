"""A node whose COMBO lists the checkpoints folder, as ComfyUI's checkpoint loader does."""

import folder_paths


class AssetCheckpointList:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"ckpt_name": (folder_paths.get_filename_list("checkpoints"),)}}

    RETURN_TYPES = ("STRING",)
    FUNCTION = "name"
    CATEGORY = "testing/assets"

    def name(self, ckpt_name):
        return (ckpt_name,)


NODE_CLASS_MAPPINGS = {"AssetCheckpointList": AssetCheckpointList}
