"""Exceptions of the file services; the server maps each base class to one status code.

    FileError
    ├── InvalidFileRequest      a name, type or field the request gave is unusable (400)
    │   ├── UnknownDirectoryType    `type` is not input, output or temp
    │   ├── UnsafeFileName          a name starts with "/", holds "..", a separator or a NUL byte
    │   ├── UploadOutsideRoot       an upload's subfolder or name would land outside its directory
    │   ├── MissingUpload           the form has no file part, or the part has no file name
    │   └── UnreadableImage         Pillow cannot decode a file a request asked to re-encode
    ├── FileAccessDenied        a viewed path would leave its directory (403)
    └── FileNotFound            no such file, or nothing to show for it (404)
"""

from __future__ import annotations


class FileError(Exception):
    """Base class of the file services' exceptions."""


class InvalidFileRequest(FileError):
    """The request names a file in a way that cannot be served or stored."""


class UnknownDirectoryType(InvalidFileRequest):
    def __init__(self, type_name: str) -> None:
        super().__init__(f"Unknown directory type {type_name!r}; use input, output or temp.")
        self.type_name = type_name


class UnsafeFileName(InvalidFileRequest):
    def __init__(self, name: str) -> None:
        super().__init__(f"The file name {name!r} is not allowed; give a plain name inside the directory.")
        self.name = name


class UploadOutsideRoot(InvalidFileRequest):
    def __init__(self, subfolder: str, name: str) -> None:
        super().__init__(f"Uploading {name!r} into subfolder {subfolder!r} would leave its directory.")
        self.subfolder = subfolder
        self.name = name


class MissingUpload(InvalidFileRequest):
    def __init__(self, field: str) -> None:
        super().__init__(f"The form has no file with a name in its {field!r} field.")
        self.field = field


class UnreadableImage(InvalidFileRequest):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name!r} is not an image that can be read: {reason}")
        self.name = name
        self.reason = reason


class FileAccessDenied(FileError):
    def __init__(self, path: str) -> None:
        super().__init__(f"The path {path!r} leads outside its directory.")
        self.path = path


class FileNotFound(FileError):
    def __init__(self, name: str, reason: str = "") -> None:
        super().__init__(f"The file {name!r} was not found{': ' + reason if reason else '.'}")
        self.name = name
        self.reason = reason
