"""``--set KEY=VALUE``: change one value of a scenario before it is validated.

KEY is a dotted path (``workload.jobs``, ``slurm.SchedulerType``, ``faults.0.at_s``);
list items are addressed by index. VALUE is read as YAML (``10``, ``true``,
``sched/builtin``, ``[1, 2]``). Missing mappings on the way are created.
"""

from __future__ import annotations

from typing import Any

from workload.errors import InputError
from workload.safeyaml import load_yaml


def parse_assignment(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InputError("--set takes KEY=VALUE, e.g. workload.jobs=50", value=text)
    try:
        return key.strip(), load_yaml(value) if value.strip() else ""
    except InputError as err:
        raise InputError(f"--set {key}: {err.rule}", value=value) from None


def apply_overrides(data: dict[str, Any], assignments: list[str] | tuple[str, ...]
                    ) -> dict[str, Any]:
    """A copy of ``data`` with every assignment applied in order."""
    import copy

    data = copy.deepcopy(data)
    for text in assignments:
        key, value = parse_assignment(text)
        _assign(data, key.split("."), value, key)
    return data


def _assign(node: Any, path: list[str], value: Any, full: str) -> None:
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise InputError(f"--set {full}: {part!r} is not an index of a list of "
                                 f"{len(node)}")
            index: Any = int(part)
        elif isinstance(node, dict):
            index = part
            if not last and node.get(part) is None:
                node[part] = {}
        else:
            raise InputError(f"--set {full}: {'.'.join(path[:i])} is not a mapping or list")
        if last:
            node[index] = value
        else:
            node = node[index]
