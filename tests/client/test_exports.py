"""`comfyd.client` exports exactly what its private modules declare, in sorted order."""

from __future__ import annotations

import importlib
import importlib.resources
import pkgutil
import types

import comfyd.client

PRIVATE_MODULES = [
    importlib.import_module(f"comfyd.client.{info.name}")
    for info in pkgutil.iter_modules(comfyd.client.__path__)
    if info.name.startswith("_")
]


def test_all_is_sorted():
    assert comfyd.client.__all__ == sorted(comfyd.client.__all__)


def test_every_private_module_declares_all():
    assert PRIVATE_MODULES
    assert [m.__name__ for m in PRIVATE_MODULES if not hasattr(m, "__all__")] == []


def test_all_is_the_union_of_the_private_modules_all():
    declared = sorted(name for module in PRIVATE_MODULES for name in module.__all__)

    assert comfyd.client.__all__ == declared


def test_every_exported_name_is_the_private_modules_object():
    for module in PRIVATE_MODULES:
        for name in module.__all__:
            assert getattr(comfyd.client, name) is getattr(module, name), name


def test_the_package_namespace_holds_nothing_public_beyond_all():
    public = {
        name
        for name, value in vars(comfyd.client).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert public == set(comfyd.client.__all__)


def test_the_package_ships_py_typed():
    assert importlib.resources.files("comfyd.client").joinpath("py.typed").is_file()
