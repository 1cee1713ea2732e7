"""`Uploads`: storing `/upload/image` and `/upload/mask` files in input, output or temp.

Naming follows ComfyUI: without `overwrite`, a file with the same name and the same bytes is
reused, and a different one moves the upload to "name (1).ext", "name (2).ext", and so on.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from comfyd.engine.folders import FolderPaths
from comfyd.engine.paths import resolve_inside
from comfyd.files import images, locations
from comfyd.files.errors import InvalidFileRequest, MissingUpload, UploadOutsideRoot

COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """One upload form as the route read it; `content` is `None` when the form had no file part."""

    content: BinaryIO | None
    filename: str | None
    type_name: str | None = None
    subfolder: str = ""
    overwrite: bool = False


@dataclass(frozen=True)
class StoredUpload:
    """Where an upload ended up: the reply ComfyUI gives, `subfolder` echoed as it was sent."""

    name: str
    subfolder: str
    type: str

    def to_wire(self) -> dict[str, str]:
        return {"name": self.name, "subfolder": self.subfolder, "type": self.type}


@dataclass(frozen=True)
class _Target:
    """A checked destination: the directory (resolved, inside `root`) and the wanted name."""

    root: Path
    folder: Path
    name: str
    upload: Upload
    type_name: str

    def stored(self, name: str) -> StoredUpload:
        return StoredUpload(name, self.upload.subfolder, self.type_name)


class Uploads:
    """Writes uploaded files, never outside the directory their `type` names.

    Methods block on file and image work; async callers run them in a worker thread.
    """

    def __init__(self, folders: FolderPaths) -> None:
        self.folders = folders

    def save_image(self, upload: Upload) -> StoredUpload:
        """Store the uploaded bytes; raises `InvalidFileRequest` (and subclasses) before writing."""
        target = self._target(upload)
        return _store(target, _Content(upload.content))

    def save_mask(self, upload: Upload, original_ref: str | None) -> StoredUpload:
        """Store the original image that `original_ref` names with the uploaded mask as its alpha.

        `original_ref` is the form's JSON `{"filename", "subfolder", "type"}` (type defaults to
        output), found by `/view`'s rules; the result is a PNG with the original's text chunks.
        """
        target = self._target(upload)
        ref = _parse_original_ref(original_ref)
        original = locations.locate(
            self.folders, ref.get("filename"), type_name=ref.get("type"), subfolder=ref.get("subfolder")
        )
        composite = images.apply_mask_alpha(original.path, upload.content)
        return _store(target, _Content(BytesIO(composite)))

    def _target(self, upload: Upload) -> _Target:
        if upload.content is None or not upload.filename:
            raise MissingUpload("image")
        type_name = "input" if upload.type_name is None else upload.type_name
        root = locations.directory_for(self.folders, type_name)
        name = locations.check_plain_name(upload.filename)
        folder = resolve_inside(root, upload.subfolder)
        if folder is None:
            raise UploadOutsideRoot(upload.subfolder, name)
        return _Target(Path(root).resolve(), folder, name, upload, type_name)


class _Content:
    """The uploaded bytes, with the size and digest computed only if a name clash needs them."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file

    @cached_property
    def size(self) -> int:
        size = self.file.seek(0, os.SEEK_END)
        self.file.seek(0)
        return size

    @cached_property
    def sha256(self) -> str:
        self.file.seek(0)
        digest = hashlib.file_digest(self.file, "sha256").hexdigest()
        self.file.seek(0)
        return digest

    def write_to(self, path: Path) -> None:
        """Write the bytes to a file that must not exist yet; `FileExistsError` if it does."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as out:
                self.file.seek(0)
                while chunk := self.file.read(COPY_CHUNK):
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def matches(self, path: Path, root: Path) -> bool:
        """Whether `path` is a file inside `root` holding exactly these bytes.

        A link leading out of `root` never matches, so its target is not even read.
        """
        resolved = resolve_inside(root, str(path))
        if resolved is None or not resolved.is_file():
            return False
        if resolved.stat().st_size != self.size:
            return False
        with open(resolved, "rb") as existing:
            return hashlib.file_digest(existing, "sha256").hexdigest() == self.sha256


def _store(target: _Target, content: _Content) -> StoredUpload:
    """Write `content` under the target's name, or the next free one, or reuse an identical file."""
    try:
        target.folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise InvalidFileRequest(f"The subfolder {target.upload.subfolder!r} is a file, not a directory.") from exc
    if target.upload.overwrite:
        _replace(target, content)
        return target.stored(target.name)
    for name in _candidate_names(target.name):
        path = target.folder / name
        if not os.path.lexists(path):
            try:
                content.write_to(path)
            except FileExistsError:  # another upload took the name since the check
                continue
            return target.stored(name)
        if content.matches(path, target.root):
            return target.stored(name)
    raise AssertionError("unreachable: the candidate names never run out")


def _replace(target: _Target, content: _Content) -> None:
    """Overwrite `target.name` atomically: write a hidden sibling, then rename it over the name.

    Renaming replaces a symlink rather than writing through it, and readers never see half a file.
    """
    path = target.folder / target.name
    if os.path.lexists(path) and resolve_inside(target.root, str(path)) is None:
        raise UploadOutsideRoot(target.upload.subfolder, target.name)
    if path.is_dir():
        raise InvalidFileRequest(f"{target.name!r} is a directory; it cannot be overwritten by an upload.")
    partial = target.folder / f".upload-{secrets.token_hex(8)}.part"
    content.write_to(partial)
    try:
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _candidate_names(name: str) -> Iterator[str]:
    """`name`, then "stem (1).ext", "stem (2).ext", ... as ComfyUI numbers clashing uploads."""
    yield name
    stem, extension = os.path.splitext(name)
    counter = 1
    while True:
        yield f"{stem} ({counter}){extension}"
        counter += 1


def _parse_original_ref(text: str | None) -> dict[str, Any]:
    if text is None:
        raise InvalidFileRequest("The form has no 'original_ref' field naming the image to mask.")
    try:
        ref = json.loads(text)
    except ValueError as exc:
        raise InvalidFileRequest(f"'original_ref' is not valid JSON: {exc}") from exc
    if not isinstance(ref, dict) or not isinstance(ref.get("filename"), str):
        raise InvalidFileRequest("'original_ref' must be a JSON object with a string 'filename'.")
    if any(not isinstance(ref.get(key, ""), str | None) for key in ("subfolder", "type")):
        raise InvalidFileRequest("'original_ref' must give 'subfolder' and 'type' as strings.")
    return ref
