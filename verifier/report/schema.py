"""The JSON Schema of report.json, shipped in the package, and the check every written report passes."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files

import jsonschema


@lru_cache(maxsize=1)
def schema() -> dict:
    """verifier/report/report.schema.json (draft 2020-12)."""
    return json.loads(files(__package__).joinpath("report.schema.json").read_text(encoding="utf-8"))


def validate(document: dict) -> None:
    """Raise jsonschema.ValidationError unless ``document`` is a valid report.json (date-times checked too)."""
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    validator.validate(document)
