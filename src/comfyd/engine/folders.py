"""The directory layout of one server: ComfyUI's `folder_paths` semantics, held by an object.

`FolderPaths` knows where inputs, outputs, temp files, user data and each kind of model live, lists
model files, and picks names for saved images. Built-in nodes and the `folder_paths` compatibility
module read the layout made current with `activate`; nothing here reads command-line arguments.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import mimetypes
import os
import re
import threading
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from comfyd.engine.paths import PathEscapesRoot, clean_relative, resolve_inside

logger = logging.getLogger(__name__)

SUPPORTED_PT_EXTENSIONS = frozenset({".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"})
LEGACY_FOLDER_NAMES = {"unet": "diffusion_models", "clip": "text_encoders"}
ANNOTATIONS = ("input", "output", "temp")

# Model folders in ComfyUI's order (the `/models` route lists them in this order). `None` stands for
# the shared `supported_pt_extensions` set, which packs sometimes extend in place.
_MODEL_FOLDERS: tuple[tuple[str, tuple[str, ...], set[str] | None], ...] = (
    ("checkpoints", ("checkpoints",), None),
    ("configs", ("configs",), {".yaml"}),
    ("loras", ("loras",), None),
    ("vae", ("vae",), None),
    ("text_encoders", ("text_encoders", "clip"), None),
    ("diffusion_models", ("unet", "diffusion_models"), None),
    ("clip_vision", ("clip_vision",), None),
    ("style_models", ("style_models",), None),
    ("embeddings", ("embeddings",), None),
    ("diffusers", ("diffusers",), {"folder"}),
    ("vae_approx", ("vae_approx",), None),
    ("controlnet", ("controlnet", "t2i_adapter"), None),
    ("gligen", ("gligen",), None),
    ("upscale_models", ("upscale_models",), None),
)
_LATER_MODEL_FOLDERS: tuple[tuple[str, tuple[str, ...], set[str] | None], ...] = (
    ("hypernetworks", ("hypernetworks",), None),
    ("photomaker", ("photomaker",), None),
    ("classifiers", ("classifiers",), {""}),
    ("model_patches", ("model_patches",), None),
    ("audio_encoders", ("audio_encoders",), None),
)

# The file scope of the current request or job (see `FolderPaths.scope`); None is the shared layout.
_file_scope: contextvars.ContextVar[str | None] = contextvars.ContextVar("comfyd_file_scope", default=None)
_SCOPE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")

# Extensions that `mimetypes` does not know everywhere but ComfyUI classifies anyway.
_EXTRA_CONTENT_TYPES = {"webp": "image", "fbx": "model"}


def map_legacy(folder_name: str) -> str:
    """The current name of a model folder that ComfyUI renamed (`unet`, `clip`)."""
    return LEGACY_FOLDER_NAMES.get(folder_name, folder_name)


def filter_files_extensions(files: Iterable[str], extensions: Collection[str]) -> list[str]:
    """The names whose lower-cased extension is in `extensions`, sorted; an empty set keeps all."""
    return sorted(f for f in files if not extensions or os.path.splitext(f)[1].lower() in extensions)


def content_type(filename: str) -> str | None:
    """The MIME major type of a file name ("image", "video", "audio", "model"), or `None`."""
    extension = filename.rsplit(".", 1)[-1].lower()
    if extension in _EXTRA_CONTENT_TYPES:
        return _EXTRA_CONTENT_TYPES[extension]
    mime, _ = mimetypes.guess_type(filename, strict=False)
    return mime.split("/")[0] if mime else None


def filter_files_content_types(files: Iterable[str], content_types: Collection[str]) -> list[str]:
    """The names whose content type is one of `content_types`, in their given order."""
    return [f for f in files if content_type(f) in content_types]


def scan_files(directory: Path | str) -> tuple[list[str], dict[str, int]]:
    """Every file below `directory`, relative to it, and the mtime of each directory walked.

    Symlinked directories are followed (model folders are often links to shared disks), but each
    real directory is walked once, so a link cycle cannot loop. Hidden entries and `.git` are
    skipped.
    """
    root = os.fspath(directory)
    if not os.path.isdir(root):
        return [], {}
    files: list[str] = []
    mtimes: dict[str, int] = {}
    seen: set[tuple[int, int]] = set()
    for dirpath, subdirs, filenames in os.walk(root, followlinks=True):
        try:
            stat = os.stat(dirpath)
        except OSError:  # removed while walking, or unreadable
            subdirs[:] = []
            continue
        if (stat.st_dev, stat.st_ino) in seen:
            subdirs[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        mtimes[dirpath] = stat.st_mtime_ns
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        files.extend(
            os.path.relpath(os.path.join(dirpath, name), root)
            for name in filenames
            if not name.startswith(".")
        )
    return files, mtimes


# File systems stamp mtimes with a coarse clock (a few ms on Linux, 2 s on FAT), so a directory
# changed just before or during a scan can change again without its mtime moving. A listing whose
# directories changed this recently before it was taken is never trusted ("racy git" rule).
RACY_WINDOW_NS = 2_000_000_000


@dataclass(frozen=True)
class _Listing:
    """One cached `get_filename_list` answer and what it was computed from."""

    names: list[str]
    mtimes: dict[str, int]
    folders: tuple[str, ...]
    extensions: frozenset[str]
    scanned_ns: int

    def is_fresh(self, folders: tuple[str, ...], extensions: frozenset[str]) -> bool:
        if folders != self.folders or extensions != self.extensions:
            return False
        if any(mtime > self.scanned_ns - RACY_WINDOW_NS for mtime in self.mtimes.values()):
            return False
        if any(os.path.isdir(f) and f not in self.mtimes for f in folders):
            return False
        return all(_mtime_ns(path) == mtime for path, mtime in self.mtimes.items())


def _mtime_ns(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class FolderPaths:
    """Where one server keeps its inputs, outputs, temp files, user data and models.

    >>> folders = FolderPaths(Path("/srv/comfy"))
    >>> folders.get_full_path("checkpoints", "sd15.safetensors")   # None if there is no such file

    `folder_names_and_paths` has ComfyUI's shape, `{key: ([path, ...], {".ext", ...})}`, with
    paths as strings, because node packs read and even assign to it directly.
    """

    def __init__(
        self,
        base_dir: Path | str,
        *,
        input_dir: Path | str | None = None,
        output_dir: Path | str | None = None,
        temp_dir: Path | str | None = None,
        user_dir: Path | str | None = None,
    ) -> None:
        self.base_dir = Path(base_dir).absolute()
        self.models_dir = self.base_dir / "models"
        self.shared_input_dir = _absolute(input_dir, self.base_dir / "input")
        self.shared_output_dir = _absolute(output_dir, self.base_dir / "output")
        self.shared_temp_dir = _absolute(temp_dir, self.base_dir / "temp")
        self.user_dir = _absolute(user_dir, self.base_dir / "user")
        self.supported_pt_extensions: set[str] = set(SUPPORTED_PT_EXTENSIONS)
        self.folder_names_and_paths: dict[str, tuple[list[str], set[str]]] = self._default_folders()
        self._listings: dict[str, _Listing] = {}
        self._made_scopes: set[str] = set()

    def _default_folders(self) -> dict[str, tuple[list[str], set[str]]]:
        folders = {key: self._model_folder(dirs, exts) for key, dirs, exts in _MODEL_FOLDERS}
        folders["custom_nodes"] = ([str(self.base_dir / "custom_nodes")], set())
        folders.update({key: self._model_folder(dirs, exts) for key, dirs, exts in _LATER_MODEL_FOLDERS})
        return folders

    def _model_folder(self, dirs: tuple[str, ...], exts: set[str] | None) -> tuple[list[str], set[str]]:
        extensions = self.supported_pt_extensions if exts is None else set(exts)
        return [str(self.models_dir / d) for d in dirs], extensions

    # -- the four fixed directories ------------------------------------------------------------
    #
    # Inputs, outputs and temp files may be scoped: inside `with folders.scope("w1"):` (a request
    # or a job of workspace w1 when the server requires sign-in) they are `<input>/w1`,
    # `<output>/w1` and `<temp>/w1`, so every reader and writer, nodes included, sees only that
    # workspace's files. A context variable carries the scope, so it follows the request's or the
    # job's task and threads started with its context, and never leaks into another's.

    @contextlib.contextmanager
    def scope(self, name: str | None) -> Iterator[None]:
        """Scope the input, output and temp directories to `name` for the block (None: shared)."""
        if name is not None:
            self._make_scope(name)
        token = _file_scope.set(name)
        try:
            yield
        finally:
            _file_scope.reset(token)

    def enter_scope(self, name: str | None) -> None:
        """Scope the directories for the rest of the current context (a request's task)."""
        if name is not None:
            self._make_scope(name)
        _file_scope.set(name)

    def _make_scope(self, name: str) -> None:
        if name in self._made_scopes:  # every signed-in request enters one: create its folders once
            return
        if not _SCOPE_NAME.match(name):
            raise ValueError(f"{name!r} cannot name a file scope")
        for root in (self.shared_input_dir, self.shared_output_dir, self.shared_temp_dir):
            (root / name).mkdir(parents=True, exist_ok=True)
        self._made_scopes.add(name)

    @property
    def current_scope(self) -> str | None:
        return _file_scope.get()

    @property
    def input_dir(self) -> Path:
        return _scoped(self.shared_input_dir)

    @input_dir.setter
    def input_dir(self, path: Path) -> None:  # folder_paths.set_input_directory
        self.shared_input_dir = Path(path)
        self._made_scopes.clear()

    @property
    def output_dir(self) -> Path:
        return _scoped(self.shared_output_dir)

    @output_dir.setter
    def output_dir(self, path: Path) -> None:  # folder_paths.set_output_directory
        self.shared_output_dir = Path(path)
        self._made_scopes.clear()

    @property
    def temp_dir(self) -> Path:
        return _scoped(self.shared_temp_dir)

    @temp_dir.setter
    def temp_dir(self, path: Path) -> None:  # folder_paths.set_temp_directory
        self.shared_temp_dir = Path(path)
        self._made_scopes.clear()

    def get_input_directory(self) -> Path:
        return self.input_dir

    def get_output_directory(self) -> Path:
        return self.output_dir

    def get_temp_directory(self) -> Path:
        return self.temp_dir

    def get_user_directory(self) -> Path:
        return self.user_dir

    def get_directory_by_type(self, type_name: str) -> Path | None:
        """The directory for a `/view`-style `type`; `None` for anything but input/output/temp.

        The user directory is deliberately not reachable this way: HTTP routes use this lookup.
        """
        return {"input": self.input_dir, "output": self.output_dir, "temp": self.temp_dir}.get(type_name)

    def listing_stamp(self) -> tuple[str | int | None, ...]:
        """The current scope and the mtimes of the input folder and every model search path.

        Node catalogues embed file lists (LoadImage's inputs, a loader's models); when this stamp
        changes, a file was added to or removed from one of those folders' top levels, or the
        catalogue is wanted for another scope's inputs.
        """
        paths = [self.input_dir] + [p for paths, _ in self.folder_names_and_paths.values() for p in paths]
        return (self.current_scope, *(_mtime_ns(str(path)) for path in paths))

    def ensure_directories(self) -> None:
        """Create the input, output, temp and user directories if they are missing."""
        for directory in (self.shared_input_dir, self.shared_output_dir, self.shared_temp_dir, self.user_dir):
            directory.mkdir(parents=True, exist_ok=True)

    # -- model folders --------------------------------------------------------------------------

    def add_model_folder_path(
        self, folder_name: str, full_folder_path: Path | str, is_default: bool = False
    ) -> None:
        """Add a search path to a model folder, creating the folder (matching every extension).

        `is_default` puts the path first, moving it there if it was already listed.
        """
        folder_name = map_legacy(folder_name)
        path = os.fspath(full_folder_path)
        if folder_name not in self.folder_names_and_paths:
            self.folder_names_and_paths[folder_name] = ([path], set())
            return
        paths = self.folder_names_and_paths[folder_name][0]
        if path in paths:
            if not is_default:
                return
            paths.remove(path)
        if is_default:
            paths.insert(0, path)
        else:
            paths.append(path)

    def get_folder_paths(self, folder_name: str) -> list[Path]:
        """The search paths of a model folder, first one first; `KeyError` for an unknown folder."""
        return [Path(p) for p in self.folder_names_and_paths[map_legacy(folder_name)][0]]

    def get_filename_list(self, folder_name: str) -> list[str]:
        """Every file in a model folder's paths with one of its extensions, sorted and de-duplicated.

        The answer is cached until a directory it walked changes its mtime, a new search path
        appears, or the folder's extensions change. `KeyError` for an unknown folder.
        """
        folder_name = map_legacy(folder_name)
        paths, extensions = self.folder_names_and_paths[folder_name]
        folders, exts = tuple(os.fspath(p) for p in paths), frozenset(extensions)
        listing = self._listings.get(folder_name)
        if listing is None or not listing.is_fresh(folders, exts):
            listing = self._scan(folders, exts)
            self._listings[folder_name] = listing
        return list(listing.names)

    def _scan(self, folders: tuple[str, ...], extensions: frozenset[str]) -> _Listing:
        scanned_ns = time.time_ns()
        names: set[str] = set()
        mtimes: dict[str, int] = {}
        for folder in folders:
            files, walked = scan_files(folder)
            names.update(filter_files_extensions(files, extensions))
            mtimes.update(walked)
        return _Listing(sorted(names), mtimes, folders, extensions, scanned_ns)

    def get_full_path(self, folder_name: str, filename: str) -> Path | None:
        """The first file called `filename` in a model folder's paths, or `None`.

        `..` in the name cannot climb out of the folder (it is normalised away, as ComfyUI does);
        symlinks inside the folder are followed, so models may live on another disk.
        """
        folder_name = map_legacy(folder_name)
        relative = clean_relative(filename)
        if folder_name not in self.folder_names_and_paths or relative is None:
            return None
        for folder in self.folder_names_and_paths[folder_name][0]:
            candidate = Path(folder) / relative
            if candidate.is_file():
                return candidate
            if candidate.is_symlink():
                logger.warning("%s exists but does not link anywhere; skipping it.", candidate)
        return None

    def get_full_path_or_raise(self, folder_name: str, filename: str) -> Path:
        """As `get_full_path`, but a missing file raises `FileNotFoundError` (ComfyUI's message)."""
        full_path = self.get_full_path(folder_name, filename)
        if full_path is None:
            raise FileNotFoundError(f"Model in folder '{folder_name}' with filename '{filename}' not found.")
        return full_path

    # -- annotated file names ("name.png [output]") ---------------------------------------------

    def annotated_filepath(self, name: str) -> tuple[str, Path | None]:
        """Split a trailing " [input]", " [output]" or " [temp]" off `name`, with its directory."""
        for kind in ANNOTATIONS:
            suffix = f" [{kind}]"
            if name.endswith(suffix):
                return name[: -len(suffix)], self.get_directory_by_type(kind)
        return name, None

    def get_annotated_filepath(self, name: str, default_dir: Path | str | None = None) -> Path:
        """The path an annotated name points at; unannotated names fall back to `default_dir`/input.

        Like ComfyUI this does not check containment; use `resolve_annotated` for untrusted names.
        """
        name, base_dir = self.annotated_filepath(name)
        return Path(base_dir or default_dir or self.input_dir) / name

    def resolve_annotated(self, name: str, default_dir: Path | str | None = None) -> Path | None:
        """As `get_annotated_filepath`, resolved; `None` when it would leave its directory."""
        name, base_dir = self.annotated_filepath(name)
        return resolve_inside(base_dir or default_dir or self.input_dir, name)

    def exists_annotated_filepath(self, name: str) -> bool:
        """Whether the annotated name exists inside its directory (input when unannotated)."""
        path = self.resolve_annotated(name)
        return path is not None and path.exists()

    # -- saving ---------------------------------------------------------------------------------

    def get_save_image_path(
        self, filename_prefix: str, output_dir: Path | str, image_width: int = 0, image_height: int = 0
    ) -> tuple[Path, str, int, str, str]:
        """Where the next image saved under `filename_prefix` goes, as ComfyUI computes it.

        Returns `(full_output_folder, filename, counter, subfolder, filename_prefix)`: the
        prefix's date and size variables are substituted, a directory part becomes `subfolder`
        (created if missing), and `counter` is one more than the highest `{filename}_NNNNN_`
        already there. Raises `PathEscapesRoot` if the folder would be outside `output_dir`.
        """
        if "%" in filename_prefix:
            filename_prefix = substitute_prefix_variables(filename_prefix, image_width, image_height)
        normalized = os.path.normpath(filename_prefix)
        subfolder, filename = os.path.dirname(normalized), os.path.basename(normalized)
        full_output_folder = Path(output_dir) / subfolder
        if resolve_inside(output_dir, subfolder) is None:
            raise PathEscapesRoot(full_output_folder, output_dir)
        if not full_output_folder.is_dir():
            full_output_folder.mkdir(parents=True, exist_ok=True)
            return full_output_folder, filename, 1, subfolder, filename_prefix
        counter = next_counter(os.listdir(full_output_folder), filename)
        return full_output_folder, filename, counter, subfolder, filename_prefix

    # -- extra_model_paths.yaml -----------------------------------------------------------------

    def load_extra_model_paths(self, yaml_path: Path | str) -> list[Path]:
        """Apply an `extra_model_paths.yaml`; returns the `custom_nodes` directories it named.

        Each top-level section may set `base_path` (`~` and environment variables expanded,
        relative to the yaml file's directory) and `is_default`; every other key is a folder
        name whose value lists one path per line. Relative paths resolve against `base_path`, or
        the yaml file's directory when there is none.
        """
        yaml_path = Path(yaml_path)
        config = yaml.safe_load(yaml_path.read_text(encoding="utf-8")) or {}
        yaml_dir = yaml_path.absolute().parent
        custom_nodes: list[Path] = []
        for section in config.values():
            if not section:
                continue
            for key, path in _section_paths(section, yaml_dir):
                logger.info("Adding extra search path %s %s", key, path)
                self.add_model_folder_path(key, path, bool(section.get("is_default", False)))
                if map_legacy(key) == "custom_nodes":
                    custom_nodes.append(Path(path))
        return custom_nodes


def _absolute(path: Path | str | None, default: Path) -> Path:
    return default if path is None else Path(path).absolute()


def _section_paths(section: dict, yaml_dir: Path) -> Iterable[tuple[str, str]]:
    """`(folder key, normalised absolute path)` for every path one yaml section lists."""
    base_path = section.get("base_path")
    if base_path:
        base_path = os.path.join(yaml_dir, os.path.expandvars(os.path.expanduser(str(base_path))))
    for key, value in section.items():
        if key in ("base_path", "is_default") or value is None:
            continue
        lines = value if isinstance(value, list) else str(value).split("\n")
        for line in (str(line).strip() for line in lines):
            if line:
                yield key, os.path.normpath(os.path.join(base_path or yaml_dir, line))


def substitute_prefix_variables(prefix: str, width: int, height: int) -> str:
    """Replace `%width% %height% %year% %month% %day% %hour% %minute% %second%` in a prefix."""
    now = time.localtime()
    values = {
        "width": str(width),
        "height": str(height),
        "year": str(now.tm_year),
        "month": f"{now.tm_mon:02}",
        "day": f"{now.tm_mday:02}",
        "hour": f"{now.tm_hour:02}",
        "minute": f"{now.tm_min:02}",
        "second": f"{now.tm_sec:02}",
    }
    for name, value in values.items():
        prefix = prefix.replace(f"%{name}%", value)
    return prefix


def next_counter(existing: Iterable[str], filename: str) -> int:
    """One more than the highest counter among names like `{filename}_00042_...`; 1 if none.

    A name that starts with `{filename}_` but has no number there counts as 0, as in ComfyUI.
    """
    highest = 0
    wanted, size = os.path.normcase(filename), len(filename)
    for name in existing:
        if name[size : size + 1] != "_" or os.path.normcase(name[:size]) != wanted:
            continue
        try:
            highest = max(highest, int(name[size + 1 :].split("_")[0]))
        except ValueError:
            continue
    return highest + 1


# -- the current layout ----------------------------------------------------------------------------

_current: FolderPaths | None = None
_current_lock = threading.Lock()


def activate(folders: FolderPaths | None) -> FolderPaths | None:
    """Make `folders` the layout that built-in nodes and `folder_paths` see; returns the previous one.

    Passing `None` clears it, so the next `current()` builds a default under the working directory.
    """
    global _current
    with _current_lock:
        previous, _current = _current, folders
    return previous


def current() -> FolderPaths:
    """The active layout, creating a default one under the working directory if none was set."""
    global _current
    with _current_lock:
        if _current is None:
            _current = FolderPaths(Path.cwd())
        return _current


def _scoped(root: Path) -> Path:
    name = _file_scope.get()
    return root if name is None else root / name
