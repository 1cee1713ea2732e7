"""Source nodes: constant images, masks and numbers that the behaviour tests feed to other nodes."""

import torch

BIG = 1024**3
SIZE = {"default": 64, "min": 1, "max": BIG, "step": 1}
BATCH = {"default": 1, "min": 1, "max": BIG, "step": 1}
UNIT = {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01}


class StubImage:
    """A white, black or random-noise image batch."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "content": (["WHITE", "BLACK", "NOISE"],),
                "height": ("INT", SIZE),
                "width": ("INT", SIZE),
                "batch_size": ("INT", BATCH),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "make"
    CATEGORY = "Testing/Stub Nodes"

    def make(self, content, height, width, batch_size):
        shape = (batch_size, height, width, 3)
        if content == "NOISE":
            return (torch.rand(shape),)
        fill = 1.0 if content == "WHITE" else 0.0
        return (torch.full(shape, fill),)


class StubConstantImage:
    """An image whose every channel holds `value`."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": ("FLOAT", UNIT),
                "height": ("INT", SIZE),
                "width": ("INT", SIZE),
                "batch_size": ("INT", BATCH),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "make"
    CATEGORY = "Testing/Stub Nodes"

    def make(self, value, height, width, batch_size):
        return (torch.full((batch_size, height, width, 3), float(value)),)


class StubMask:
    """A mask whose every pixel holds `value`."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": ("FLOAT", UNIT),
                "height": ("INT", SIZE),
                "width": ("INT", SIZE),
                "batch_size": ("INT", BATCH),
            },
        }

    RETURN_TYPES = ("MASK",)
    FUNCTION = "make"
    CATEGORY = "Testing/Stub Nodes"

    def make(self, value, height, width, batch_size):
        return (torch.full((batch_size, height, width), float(value)),)


class StubInt:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("INT", {"default": 0, "min": -0xFFFFFFFF, "max": 0xFFFFFFFF})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "make"
    CATEGORY = "Testing/Stub Nodes"

    def make(self, value):
        return (value,)


class StubFloat:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("FLOAT", {"default": 0.0, "min": -1.0e38, "max": 1.0e38})}}

    RETURN_TYPES = ("FLOAT",)
    FUNCTION = "make"
    CATEGORY = "Testing/Stub Nodes"

    def make(self, value):
        return (value,)


NODE_CLASS_MAPPINGS = {
    "StubImage": StubImage,
    "StubConstantImage": StubConstantImage,
    "StubMask": StubMask,
    "StubInt": StubInt,
    "StubFloat": StubFloat,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "StubImage": "Stub Image",
    "StubConstantImage": "Stub Constant Image",
    "StubMask": "Stub Mask",
    "StubInt": "Stub Int",
    "StubFloat": "Stub Float",
}
