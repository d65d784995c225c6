"""The OpenAPI 3.1 document, assembled from what each area's API module declares."""

from __future__ import annotations

import copy

from flask import jsonify
from pydantic import ConfigDict

from market.web.api import bp
from market.web.api.contract import Model, operation
from market.web.api.contract import document as contract_document


class OpenApiDocument(Model):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")
    openapi: str
    info: dict
    paths: dict
    components: dict

PATHS: dict[str, dict] = {}
COMPONENTS: dict[str, dict] = {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "description": "A stable code, e.g. below_minimum."},
                "message": {"type": "string", "description": "In the Accept-Language (en or zh), English by default."},
                "params": {"type": "object", "description": "The refusal's parameters: amounts as decimal yuan "
                                                           "strings, times in UTC ISO 8601, enum members by value."},
            },
        },
        "Amount": {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "examples": ["1234.50"]},
    },
}


def document(
    path: str,
    method: str,
    *,
    summary: str,
    responses: dict[str, str | dict],
    parameters: list[dict] | None = None,
    request_body: dict | None = None,
    public: bool = False,
) -> None:
    """Declare one operation; responses map a status to a description or a full response object."""
    operation: dict = {"summary": summary, "responses": {}}
    for status, spec in responses.items():
        if isinstance(spec, str):
            spec = {"description": spec}
            if status >= "400":
                spec["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        operation["responses"][status] = spec
    if parameters:
        operation["parameters"] = parameters
    if request_body:
        operation["requestBody"] = request_body
    operation["security"] = [] if public else [{"bearer": []}]
    PATHS.setdefault(path, {})[method] = operation


def spec() -> dict:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "IP disposal marketplace API",
            "version": "1.0.0",
            "description": "Amounts are decimal strings in yuan (e.g. \"1234.50\"); times are UTC ISO 8601.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": PATHS,
        "components": COMPONENTS,
    }


@bp.get("/openapi.json")
@operation("meta", {200: (OpenApiDocument, "OpenAPI 3.1")}, public=True, operation_id="openapi_document")
def openapi_json():
    """This document"""
    generated = copy.deepcopy(contract_document())
    for path, item in PATHS.items():
        generated["paths"].setdefault(path, item)
    for name, schema in COMPONENTS["schemas"].items():
        generated["components"]["schemas"].setdefault(name, schema)
    return jsonify(generated)
