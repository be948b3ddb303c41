"""Collects the access declarations of every installed app (`<app>/db_access.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps

from config.access_declaration import Function, Schema, Table


@dataclass(frozen=True)
class Declaration:
    tables: dict[str, Table]  # by qualified name
    functions: tuple[Function, ...]
    schemas: dict[str, Schema]


def collect_declarations() -> Declaration:
    tables: dict[str, Table] = {}
    functions: list[Function] = []
    schemas: dict[str, Schema] = {}
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.db_access"
        if find_spec(module_name) is None:
            continue
        for item in import_module(module_name).DECLARATIONS:
            if isinstance(item, Table):
                if item.qualified_name in tables:
                    raise ValueError(f"{item.qualified_name} is declared twice (second time in {module_name})")
                tables[item.qualified_name] = item
            elif isinstance(item, Function):
                functions.append(item)
            elif isinstance(item, Schema):
                schemas[item.name] = item
            else:
                raise TypeError(f"{module_name}.DECLARATIONS holds {item!r}, not a Table, Function or Schema")
    return Declaration(tables=tables, functions=tuple(functions), schemas=schemas)
