"""A static scan of a pack's Python files for what runs the moment ComfyUI imports it.

Nothing here imports or runs pack code: each `.py` file is parsed and the statements that execute
at import time (module level, the blocks nested in it, class bodies, and module-level functions
that module-level code calls) are checked for commands, network access, pip installs and dynamic
code. Findings become a version's `status_reason`, so `format_findings` writes them for people.
"""

from __future__ import annotations

import ast
import enum
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Finding", "Rule", "format_findings", "scan_pack", "scan_source"]

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Larger `.py` files are reported instead of parsed: no real node module is this big."""


class Rule(enum.StrEnum):
    """What a finding is about; the value is the id stored and shown with it."""

    DYNAMIC_CODE = "dynamic-code"
    NETWORK = "network"
    OBFUSCATED_CODE = "obfuscated-code"
    PIP_INSTALL = "pip-install"
    SHELL_COMMAND = "shell-command"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, order=True)
class Finding:
    """One thing the scan found: where (`path` is relative to the pack root, `/`-separated) and what."""

    path: str
    line: int
    rule: Rule
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


_DYNAMIC = {"exec", "eval", "compile", "builtins.exec", "builtins.eval", "builtins.compile"}
_COMMANDS = {"os.system", "os.popen", "os.startfile", "pty.spawn"}
_COMMAND_PREFIXES = ("subprocess.", "os.exec", "os.spawn", "os.posix_spawn")
_NETWORK = {
    "urllib.request.urlopen",
    "urllib.request.urlretrieve",
    "socket.socket",
    "socket.create_connection",
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
}
_NETWORK_PREFIXES = ("requests.", "httpx.", "aiohttp.", "urllib3.")
_PIP_ENTRY_POINTS = {"pip.main", "pip._internal.main", "pip._internal.cli.main.main"}
_DECODERS = {
    "base64.b64decode",
    "base64.standard_b64decode",
    "base64.urlsafe_b64decode",
    "base64.b32decode",
    "base64.b16decode",
    "base64.b85decode",
    "base64.a85decode",
    "base64.decodebytes",
    "binascii.a2b_base64",
    "binascii.unhexlify",
    "bytes.fromhex",
    "codecs.decode",
    "zlib.decompress",
    "bz2.decompress",
    "lzma.decompress",
    "marshal.loads",
}
_IMPORTERS = {"__import__", "importlib.import_module"}
_PIP_COMMAND = re.compile(r"\bpip3?\b.*\binstall\b", re.DOTALL)
_DESCRIPTIONS = {
    Rule.DYNAMIC_CODE: "runs dynamically built code",
    Rule.NETWORK: "network access",
    Rule.PIP_INSTALL: "installs packages with pip",
    Rule.SHELL_COMMAND: "runs a command",
}


def scan_pack(root: str | os.PathLike[str], *, max_file_bytes: int = MAX_FILE_BYTES) -> list[Finding]:
    """Scan every `.py` file under `root` (links are not followed); findings sorted by file and line."""
    findings: list[Finding] = []
    for path in _python_files(Path(root)):
        relative = path.relative_to(root).as_posix()
        size = path.stat().st_size
        if size > max_file_bytes:
            findings.append(Finding(relative, 1, Rule.UNREADABLE, f"is {size} bytes, too large to scan"))
        else:
            findings.extend(scan_source(path.read_bytes(), relative))
    return sorted(findings)


def scan_source(source: str | bytes, path: str) -> list[Finding]:
    """Scan one module's source; `path` is only used to label the findings.

    A file that cannot be parsed (bad syntax, undecodable bytes, absurd nesting) is one
    `unreadable` finding: the scan never raises for what a file contains.
    """
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None) or 1
        message = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        return [Finding(path, line, Rule.UNREADABLE, f"cannot be parsed ({message})")]
    try:
        return sorted(_ModuleScan(tree, path).findings)
    except RecursionError:
        # Thousands of functions that call each other in a chain: no real pack, so it is reported.
        return [Finding(path, 1, Rule.UNREADABLE, "nests too deeply to scan")]


def format_findings(findings: Iterable[Finding], *, limit: int = 20) -> str:
    """The findings as `status_reason` text: one `file.py:12: message` line each, at most `limit`."""
    findings = list(findings)
    lines = [str(finding) for finding in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"... and {len(findings) - limit} more.")
    return "\n".join(lines)


def _python_files(root: Path) -> Iterator[Path]:
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            path = Path(folder, name)
            if name.endswith(".py") and not path.is_symlink() and path.is_file():
                yield path


class _ModuleScan:
    """The findings of one parsed module; built in `__init__`, read from `findings`."""

    def __init__(self, tree: ast.Module, path: str) -> None:
        self.path = path
        self.findings: list[Finding] = []
        self.aliases = _import_aliases(tree)
        self.functions = {
            node.name: node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.entered: set[str] = set()
        self.decoded = self._decoded_names(tree)
        self._block(tree.body, via=None)
        self._obfuscation(tree)

    def _block(self, statements: list[ast.stmt], via: str | None) -> None:
        for statement in statements:
            if _is_main_guard(statement):
                # `if __name__ == "__main__":` does not run on import; its `else` does.
                self._block(statement.orelse, via)
            else:
                self._statement(statement, via)

    def _statement(self, node: ast.AST, via: str | None) -> None:
        """Check what `node` runs at import time: its expressions and nested blocks, not function bodies."""
        runs_body = not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for _field, value in ast.iter_fields(node):
            if _is_block(value):
                if runs_body:
                    self._block(value, via)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.excepthandler | ast.match_case):
                        self._statement(item, via)
                    elif isinstance(item, ast.AST):
                        self._expression(item, via)
            elif isinstance(value, ast.AST):
                self._expression(value, via)

    def _expression(self, node: ast.AST, via: str | None) -> None:
        for call in _calls_evaluated(node):
            self._call(call, via)

    def _call(self, call: ast.Call, via: str | None) -> None:
        name = self._dotted(call.func)
        if name is None:
            return
        if name in self.functions:
            if name not in self.entered:
                # A module-level function called at import time runs at import time too.
                self.entered.add(name)
                self._block(self.functions[name].body, via=name)
            return
        rule = _rule_for(name, call)
        if rule is None or (rule is Rule.DYNAMIC_CODE and self._decoder_in(call) is not None):
            return  # decoded dynamic code is reported by `_obfuscation`, wherever it runs
        through = f", through {via}()" if via else ""
        message = f"{name}() called at import time{through}: {_DESCRIPTIONS[rule]}"
        self.findings.append(Finding(self.path, call.lineno, rule, message))

    def _obfuscation(self, tree: ast.Module) -> None:
        """Report decoded data handed to exec/eval/compile anywhere in the module, not only on import."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and self._dotted(node.func) in _DYNAMIC:
                decoder = self._decoder_in(node)
                if decoder is not None:
                    message = f"{self._dotted(node.func)}() runs data decoded by {decoder}(): obfuscated code"
                    self.findings.append(Finding(self.path, node.lineno, Rule.OBFUSCATED_CODE, message))

    def _decoder_in(self, call: ast.Call) -> str | None:
        """The decoder whose output feeds this call's arguments, directly or through a variable."""
        for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
            for node in ast.walk(argument):
                if isinstance(node, ast.Call) and (name := self._dotted(node.func)) in _DECODERS:
                    return name
                if isinstance(node, ast.Name) and node.id in self.decoded:
                    return self.decoded[node.id]
        return None

    def _decoded_names(self, tree: ast.Module) -> dict[str, str]:
        """Variables assigned a decoder's output anywhere in the module, with that decoder."""
        decoded = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                decoder = next(
                    (
                        name
                        for call in _calls_in(node.value)
                        if (name := self._dotted(call.func)) in _DECODERS
                    ),
                    None,
                )
                if decoder is not None:
                    decoded.update(
                        {target.id: decoder for target in node.targets if isinstance(target, ast.Name)}
                    )
        return decoded

    def _dotted(self, node: ast.AST) -> str | None:
        """The full name a call target refers to (`sp.run` after `import subprocess as sp` is
        `subprocess.run`), or `None` when it is not a plain chain of names."""
        attributes = []
        while isinstance(node, ast.Attribute):
            attributes.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            base = self.aliases.get(node.id, node.id)
        elif isinstance(node, ast.Call) and (module := self._imported_module(node)) is not None:
            base = module
        else:
            return None
        return ".".join([base, *reversed(attributes)])

    def _imported_module(self, call: ast.Call) -> str | None:
        """`os` for `__import__("os")` or `importlib.import_module("os")`."""
        if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            if self._dotted(call.func) in _IMPORTERS:
                return call.args[0].value
        return None


def _rule_for(name: str, call: ast.Call) -> Rule | None:
    if name in _DYNAMIC:
        return Rule.DYNAMIC_CODE
    if name in _PIP_ENTRY_POINTS:
        return Rule.PIP_INSTALL
    if name in _COMMANDS or name.startswith(_COMMAND_PREFIXES):
        return Rule.PIP_INSTALL if _PIP_COMMAND.search(" ".join(_strings_in(call))) else Rule.SHELL_COMMAND
    if name in _NETWORK or name.startswith(_NETWORK_PREFIXES):
        return Rule.NETWORK
    return None


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> full dotted name, for every absolute import in the module."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _calls_evaluated(node: ast.AST) -> Iterator[ast.Call]:
    """The calls an expression makes when it is evaluated; a lambda's body waits for its caller."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call):
            yield current
        if not isinstance(current, ast.Lambda):
            stack.extend(ast.iter_child_nodes(current))


def _calls_in(node: ast.AST) -> Iterator[ast.Call]:
    return (child for child in ast.walk(node) if isinstance(child, ast.Call))


def _strings_in(call: ast.Call) -> Iterator[str]:
    for node in ast.walk(call):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def _is_block(value: object) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], ast.stmt)


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [side.id for side in sides if isinstance(side, ast.Name)]
    values = [side.value for side in sides if isinstance(side, ast.Constant)]
    return names == ["__name__"] and values == ["__main__"]
