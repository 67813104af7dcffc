"""YAML as user input: safe-loaded, duplicate keys refused, every failure an InputError.

PyYAML's safe loader lets the last of two equal keys win silently, recurses once per
nesting level (5,000 ``[`` is a RecursionError) and refuses integers past Python's
4,300-digit limit with a bare ValueError. Here each of those is one line naming the
file (and the line when the parser knows it).
"""

from __future__ import annotations

from typing import Any

import yaml

from workload.errors import InputError

MAX_DEPTH = 100   # deeper than any scenario needs, far below Python's recursion limit


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing duplicate keys in a mapping and nesting past MAX_DEPTH."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                continue   # unhashable: the base constructor reports it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)


def load_yaml(text: str, *, file: str | None = None, what: str = "YAML") -> Any:
    """The document in ``text``; InputError (file, line) for anything that is not YAML."""
    try:
        return yaml.load(text, Loader=_Loader)   # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError(f"not valid {what}: {problem}", file=file,
                         line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise InputError(f"not valid {what}: nested too deeply", file=file) from None
    except ValueError as err:   # an integer past Python's digit limit
        raise InputError(f"not valid {what}: {str(err).split(';')[0]}", file=file) from None


def read_yaml(path: str, *, what: str = "YAML") -> Any:
    """Read and load a YAML file; unreadable or undecodable files are InputErrors too."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as err:
        raise InputError(f"cannot read {what}: {err.strerror}", file=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise InputError(f"not UTF-8 text (byte 0x{raw[err.start]:02x})", file=path,
                         line=line) from None
    return load_yaml(text, file=path, what=what)
