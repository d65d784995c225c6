"""/api/v1/openapi.json: the OpenAPI 3.1 document generated from the declarations (market.web.api.contract)."""

from __future__ import annotations

from flask import jsonify
from pydantic import ConfigDict

from market.web.api import bp
from market.web.api.contract import Model, document, operation


class OpenApiDocument(Model):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")
    openapi: str
    info: dict
    paths: dict
    components: dict


@bp.get("/openapi.json")
@operation("meta", {200: (OpenApiDocument, "OpenAPI 3.1")}, public=True, operation_id="openapi_document")
def openapi_json():
    """This document"""
    return jsonify(document())
