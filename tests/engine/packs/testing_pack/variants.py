"""Type strings that match more than themselves, as many real packs ship them.

ComfyUI compares a link's type with the input's type through `!=`, so a `str` subclass that
overrides `__ne__` decides what it accepts. `VariantType("IMAGE,FLOAT")` accepts any subset of its
comma-separated names and `"*"` accepts anything. `variant_types` rewrites a node class to use
them and adds a `VALIDATE_INPUTS(input_types)`, which tells the engine to skip its own link-type
check and leaves the decision to the node.
"""


class VariantType(str):
    def __ne__(self, other):
        if self == "*" or other == "*":
            return False
        return not set(self.split(",")).issubset(set(str(other).split(",")))

    # Overriding __ne__ on a str subclass would otherwise drop hashing.
    __hash__ = str.__hash__


def as_variant(type_name):
    return VariantType(type_name) if isinstance(type_name, str) else type_name


def _declared_type(cls, name):
    inputs = cls.INPUT_TYPES()
    for category in ("required", "optional"):
        if name in inputs.get(category, {}):
            return inputs[category][name][0]
    return None


def variant_types(cls):
    """Class decorator: variant input/return types plus a type-only VALIDATE_INPUTS."""
    if "VALIDATE_INPUTS" in vars(cls):
        raise TypeError(f"{cls.__name__} defines VALIDATE_INPUTS; variant_types would replace it")
    declared_input_types = cls.INPUT_TYPES

    def input_types():
        spec = declared_input_types()
        for category in ("required", "optional"):
            for name, value in spec.get(category, {}).items():
                if isinstance(value, tuple):
                    spec[category][name] = (as_variant(value[0]),) + value[1:]
        return spec

    def validate_inputs(input_types):
        if isinstance(input_types, list):
            # An INPUT_IS_LIST node gets every argument as a list, this one included.
            input_types = input_types[0]
        for name, received in input_types.items():
            if isinstance(received, VariantType):
                continue
            expected = _declared_type(cls, name)
            if expected is not None and as_variant(received) != expected:
                return f"Invalid type of {name}: {received} (expected {expected})"
        return True

    cls.INPUT_TYPES = staticmethod(input_types)
    cls.RETURN_TYPES = tuple(as_variant(t) for t in cls.RETURN_TYPES)
    cls.VALIDATE_INPUTS = staticmethod(validate_inputs)
    return cls
