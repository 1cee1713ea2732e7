"""The automated checks a published version goes through: unpack, scan, then extract node classes.

`check_pack_archive` turns one stored archive into a verdict that the registry service applies
to the version (status and `status_reason`, `comfy_node_extract_status` and ComfyNodes). Every
outcome of the pack's content is a verdict, so a version never stays pending because a step failed.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from comfyd.platform.registry.archives import DEFAULT_LIMITS, ArchiveLimits, ArchiveRejected, extract_archive
from comfyd.platform.registry.extraction import DEFAULT_TIMEOUT, ExtractionResult, extract_comfy_nodes
from comfyd.platform.registry.scanning import Finding, format_findings, scan_pack

__all__ = ["PASSED", "PackCheck", "check_pack_archive"]

PASSED = "Passed automated checks"
"""The `status_reason` of a version that passed, in api.comfy.org's words."""


@dataclass(frozen=True)
class PackCheck:
    """The verdict on one archive.

    A flagged version goes to moderators (`NodeVersionStatusFlagged`) with `status_reason`
    saying why; otherwise it becomes `NodeVersionStatusActive` with `PASSED`. `extraction` is
    the `comfy_node_extract_status` and ComfyNodes; it is `failed` for flagged packs, which are
    never imported.
    """

    is_flagged: bool
    status_reason: str
    findings: tuple[Finding, ...]
    extraction: ExtractionResult


def check_pack_archive(
    archive: str | os.PathLike[str],
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    timeout: float = DEFAULT_TIMEOUT,
    pack_name: str | None = None,
) -> PackCheck:
    """Unpack `archive` into a temporary folder, scan it, and import it only if the scan is clean.

    Importing runs the pack's code (isolated, not sandboxed), so the static scan decides first
    whether that happens. Raises only `OSError`: `FileNotFoundError` when the archive is missing
    (the registry then marks the version deleted), others for a failing disk, worth a retry.
    """
    with tempfile.TemporaryDirectory(prefix="comfyd-check-") as workdir:
        try:
            unpacked = extract_archive(archive, Path(workdir) / "pack", limits=limits)
        except ArchiveRejected as exc:
            not_imported = ExtractionResult.failed("The archive was rejected, so the pack was not imported.")
            return PackCheck(True, f"The archive was rejected: {exc.reason}", (), not_imported)
        findings = scan_pack(unpacked.pack_root)
        if findings:
            not_imported = ExtractionResult.failed("The scan flagged the pack, so it was not imported.")
            return PackCheck(True, format_findings(findings), tuple(findings), not_imported)
        extraction = extract_comfy_nodes(unpacked.pack_root, timeout=timeout, pack_name=pack_name)
        return PackCheck(False, PASSED, (), extraction)
