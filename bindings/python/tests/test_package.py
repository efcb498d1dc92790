"""The package surface: every public object is documented, the stubs cover
the extension, and the installed package is the wheel (not the source tree)."""

from __future__ import annotations

import inspect
from pathlib import Path

import voiceguard as vg
from voiceguard import _voiceguard

STUB = Path(vg.__file__).with_name("_voiceguard.pyi")


def test_every_public_object_has_a_docstring() -> None:
    undocumented = []
    for name in vg.__all__:
        obj = getattr(vg, name)
        if not (inspect.isclass(obj) or callable(obj)):
            continue
        if not (obj.__doc__ or "").strip():
            undocumented.append(name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for attr, member in vars(obj).items():
                if attr.startswith("__"):
                    continue
                if not (getattr(member, "__doc__", None) or "").strip():
                    undocumented.append(f"{name}.{attr}")
    assert undocumented == []


def test_the_stubs_name_everything_the_extension_exports() -> None:
    stub = STUB.read_text()
    for name in vg.__all__:
        assert f"class {name}" in stub or f"def {name}" in stub or f"{name}:" in stub, name
    assert Path(vg.__file__).with_name("py.typed").is_file()


def test_the_installed_package_is_the_built_extension() -> None:
    # Tests run against the installed wheel: the extension sits beside __init__.py.
    assert Path(_voiceguard.__file__).parent == Path(vg.__file__).parent
    # One stable-ABI (abi3) extension for every CPython >= 3.9.
    assert Path(_voiceguard.__file__).name.startswith("_voiceguard.abi3.")
