"""Node-class extraction: import a pack in a throwaway interpreter and describe its node classes.

`extract_comfy_nodes` is what api.comfy.org does with a Cloud Build job that boots ComfyUI: it
runs `python -m comfyd.platform.registry.extraction <pack>` in a fresh interpreter (its own
session, a temporary working folder and home, an environment without the server's variables and
secrets, a wall-clock limit after which its whole process group is killed). The child loads the
pack with comfyd's engine loader and prints one JSON report; the parent never raises and never
waits past the limit, so a version's `comfy_node_extract_status` always ends `success` or `failed`.

This is isolation from the server process, not a sandbox: pack code still runs as the server's
user with network access. `checks.check_pack_archive` only imports packs the scan found clean.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn

from comfyd.engine import compat
from comfyd.engine.loader import load_packs
from comfyd.engine.nodeinfo import node_info
from comfyd.engine.registry import NodeRegistry

__all__ = ["ExtractionResult", "extract_comfy_nodes"]

DEFAULT_TIMEOUT = 30.0
_CHILD_MODULE = "comfyd.platform.registry.extraction"
POLICY_ACTIVE = "ComfyNodePolicyActive"
_MAX_REPORT_BYTES = 32 * 1024 * 1024
# The child cannot write a file past this size (its report and stderr included): a pack that
# downloads a model at import time is stopped by SIGXFSZ instead of filling the disk.
_MAX_FILE_BYTES = 64 * 1024 * 1024
_STDERR_TAIL_BYTES = 800

ExtractStatus = Literal["success", "failed"]


@dataclass(frozen=True)
class ExtractionResult:
    """The outcome stored as `comfy_node_extract_status`, with the nodes found or the reason why not.

    `nodes` are ComfyNode dicts (api.comfy.org's field names). On success `reason` is empty, or
    says which classes were left out because describing them raised.
    """

    status: ExtractStatus
    nodes: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""

    @property
    def is_success(self) -> bool:
        return self.status == "success"

    @classmethod
    def failed(cls, reason: str) -> ExtractionResult:
        return cls("failed", [], reason)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "nodes": self.nodes, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Any) -> ExtractionResult:
        """Read a child's report back; raises `ValueError` for anything but the shape `to_json` makes."""
        if not isinstance(data, dict) or data.get("status") not in ("success", "failed"):
            raise ValueError("the report has no valid status")
        nodes, reason = data.get("nodes"), data.get("reason")
        if not isinstance(nodes, list) or not all(isinstance(node, dict) for node in nodes):
            raise ValueError("the report's nodes are not a list of objects")
        if not isinstance(reason, str):
            raise ValueError("the report's reason is not text")
        return cls(data["status"], nodes, reason)


def extract_comfy_nodes(
    pack_root: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT, pack_name: str | None = None
) -> ExtractionResult:
    """Import the pack folder `pack_root` in a child interpreter and describe its node classes.

    The pack is imported as `custom_nodes.<pack_name>` (default: the folder's name). `timeout`
    bounds the child's whole life, interpreter start-up included. Never raises for anything the
    pack does: an import error, a hang, a crash or an unreadable report is a `failed` result.
    """
    root = Path(pack_root).resolve()
    name = pack_name or root.name
    if not (root / "__init__.py").is_file():
        return ExtractionResult.failed(
            "The pack has no __init__.py at its root, so ComfyUI cannot import it."
        )
    if "/" in name or os.sep in name or name.startswith("."):
        return ExtractionResult.failed(f"{name!r} cannot be a pack folder name.")
    # A pack can leave files it made unremovable; that must not turn into an exception here.
    with tempfile.TemporaryDirectory(prefix="comfyd-extract-", ignore_cleanup_errors=True) as workdir:
        return _run_child(root, name, Path(workdir), timeout)


def _run_child(root: Path, name: str, workdir: Path, timeout: float) -> ExtractionResult:
    home = workdir / "home"
    home.mkdir()
    report_path, stderr_path = workdir / "report.json", workdir / "stderr.txt"
    command = [sys.executable, "-I", "-B", "-X", "utf8", "-m", _CHILD_MODULE, str(root), name]
    with open(report_path, "wb") as report, open(stderr_path, "wb") as stderr:
        try:
            child = subprocess.Popen(
                command,
                cwd=home,
                env=_child_environment(home),
                stdin=subprocess.DEVNULL,
                stdout=report,
                stderr=stderr,
                start_new_session=True,
            )
        except OSError as exc:
            return ExtractionResult.failed(f"The extraction interpreter could not be started: {exc}.")
        try:
            returncode = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return ExtractionResult.failed(
                f"Importing the pack took longer than {timeout:g} seconds, so it was stopped."
            )
        finally:
            _kill_session(child)
    return _read_report(returncode, report_path, stderr_path)


def _child_environment(home: Path) -> dict[str, str]:
    """Only what an interpreter needs: the server's environment (keys, database URLs) stays behind."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        # Describing nodes never needs a GPU; keep packs that probe CUDA at import off the device.
        "CUDA_VISIBLE_DEVICES": "",
    }


def _kill_session(child: subprocess.Popen[bytes]) -> None:
    """Kill the child and anything it started in its session (a pack's background processes)."""
    if os.name == "posix":
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the child and everything it started are already gone
    else:
        child.kill()
    child.wait()


def _read_report(returncode: int, report_path: Path, stderr_path: Path) -> ExtractionResult:
    with open(report_path, "rb") as report:
        output = report.read(_MAX_REPORT_BYTES + 1)
    if returncode != 0 or not output.strip():
        how = _exit_description(returncode)
        return ExtractionResult.failed(
            f"The interpreter importing the pack {how} before reporting its nodes.{_tail(stderr_path)}"
        )
    if len(output) > _MAX_REPORT_BYTES:
        return ExtractionResult.failed("The extraction report is larger than 32 MB; it was not read.")
    try:
        return ExtractionResult.from_json(json.loads(output))
    except (ValueError, RecursionError) as exc:
        return ExtractionResult.failed(f"The extraction report could not be read ({exc}).")


def _exit_description(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def _tail(stderr_path: Path) -> str:
    """The end of the child's error output, as a sentence to append to a reason, or ""."""
    with open(stderr_path, "rb") as stderr:
        stderr.seek(max(0, stderr_path.stat().st_size - _STDERR_TAIL_BYTES))
        text = stderr.read().decode("utf-8", errors="replace").strip()
    lines = text.splitlines()[-5:]
    return f" Its last output: {' | '.join(lines)}" if lines else ""


# ---- In the child interpreter -------------------------------------------------------------


def _comfy_node(class_name: str, info: dict[str, Any], cls: type) -> dict[str, Any]:
    """A ComfyNode (api.comfy.org's schema) from a class's object_info entry.

    The JSON-in-a-string fields are built as the peer's extractor builds them from object_info:
    `input_types` is `input`, `return_types` is `output`, `return_names` is `output_name`.
    """
    outputs = info["output"]
    is_list = info["output_is_list"]
    return {
        "comfy_node_name": class_name,
        "category": str(info["category"]),
        "description": str(info["description"]),
        "input_types": json.dumps(info["input"]),
        "return_types": json.dumps(outputs),
        "return_names": json.dumps(info["output_name"]),
        "output_is_list": [bool(flag) for flag in is_list]
        if isinstance(is_list, list)
        else [False] * len(outputs),
        "function": str(getattr(cls, "FUNCTION", "")),
        "deprecated": bool(info.get("deprecated", False)),
        "experimental": bool(info.get("experimental", False)),
        "policy": POLICY_ACTIVE,
    }


def _extract_here(root: Path, name: str) -> ExtractionResult:
    """Load the pack into a fresh registry in this interpreter and describe what it registered."""
    compat.install()
    # The loader imports every pack in a folder; this one holds only a link to ours, so the
    # pack is `custom_nodes.<name>` whatever the folder it was unpacked into is called.
    custom_nodes = Path(tempfile.mkdtemp(prefix="custom_nodes-"))
    (custom_nodes / name).symlink_to(root, target_is_directory=True)
    registry = NodeRegistry()
    loaded = load_packs(registry, [custom_nodes])
    if registry.failures:
        return ExtractionResult.failed(f"The pack cannot be imported: {registry.failures[0].error}")
    if not loaded:
        return ExtractionResult("success", [], "The pack defines no NODE_CLASS_MAPPINGS.")
    return _describe(registry)


def _describe(registry: NodeRegistry) -> ExtractionResult:
    nodes, left_out = [], []
    for class_name, cls in registry.classes.items():
        try:
            nodes.append(_comfy_node(class_name, node_info(registry, class_name), cls))
        except Exception as exc:
            # INPUT_TYPES is pack code and its result must encode as JSON; one broken class is
            # left out, as ComfyUI's object_info leaves it out, and the reason names it.
            left_out.append(f"{class_name} was left out ({type(exc).__name__}: {exc})")
    return ExtractionResult("success", nodes, "; ".join(left_out))


def _claim_stdout() -> Any:
    """Keep the real stdout for the report and send fd 1 to stderr, so pack prints cannot mix in."""
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return report


def _limit_files() -> None:
    try:
        import resource
    except ImportError:  # not on POSIX: no limit, the parent's timeout still holds
        return
    resource.setrlimit(resource.RLIMIT_FSIZE, (_MAX_FILE_BYTES, _MAX_FILE_BYTES))


def main(argv: list[str]) -> NoReturn:
    """`python -m comfyd.platform.registry.extraction PACK_DIR [NAME]`: print the report as JSON."""
    report = _claim_stdout()
    _limit_files()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    root = Path(argv[0]).resolve()
    result = _extract_here(root, argv[1] if len(argv) > 1 else root.name)
    report.write(json.dumps(result.to_json()))
    report.flush()
    # Exit without running the pack's atexit hooks or waiting for threads it left running.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
