"""The API's contract, declared once: pydantic models for every request and answer body, validated and
documented by spectree (`operation`), from which `/api/v1/openapi.json` is generated.

Amounts travel as decimal yuan strings ("1234.50") and are fen (int) inside: `Yuan` serialises fen, `YuanIn`
parses with the one strict `parse_yuan`. Times are UTC ISO 8601 with milliseconds (`Moment`). A body or query
value the declaration refuses becomes one of our refusals (`refusal_for`), answered like any other
({"error", "message", "params"}, translated); spectree's own error format never reaches a client.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

from flask import request
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData, Server

from market.domain.auction import AuctionKind, AuctionStatus
from market.domain.documents import DocumentMissing
from market.domain.errors import Kind, Refusal
from market.domain.money import fen_to_decimal_string, parse_yuan
from market.services.access import Forbidden
from market.web.api import api_user, bp, require_bearer_token
from market.web.api.problems import (
    BadInput,
    InvalidJson,
    InvalidNumber,
    InvalidParameter,
    NotChoice,
    NotDate,
    NotFlag,
    NotIds,
    NotMoment,
    NotText,
    NotWholeNumber,
)
from market.web.i18n import error_message
from market.web.request_limits import MAX_ID

AMOUNT_SCHEMA = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "examples": ["1234.50"],
                 "description": "Decimal yuan"}


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with milliseconds, e.g. 2026-11-22T02:00:00.000Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _yuan_in(allow_zero: bool):
    def parse(value: object, info) -> int:
        return parse_yuan(value, field=info.field_name, allow_zero=allow_zero)  # InvalidAmount is a ValueError
    return parse


Yuan = Annotated[int, PlainSerializer(fen_to_decimal_string, return_type=str, when_used="json"), WithJsonSchema(AMOUNT_SCHEMA)]
YuanIn = Annotated[int, BeforeValidator(_yuan_in(False)), WithJsonSchema(AMOUNT_SCHEMA)]
YuanOrZeroIn = Annotated[int, BeforeValidator(_yuan_in(True)), WithJsonSchema(AMOUNT_SCHEMA)]
Moment = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json"),
                   WithJsonSchema({"type": "string", "format": "date-time"})]
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


def QueryNumber(name: str, minimum: int):  # noqa: N802 - a type
    """?name= as a whole number in minimum..MAX_ID, or InvalidNumber naming it (a 400)."""

    def check(value: object) -> int:
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10 \
                and minimum <= int(value) <= MAX_ID:
            return int(value)
        raise InvalidNumber(parameter=name, minimum=minimum, maximum=MAX_ID)

    return Annotated[int, Field(ge=minimum, le=MAX_ID), BeforeValidator(check)]


class Model(BaseModel):
    """Every body: unknown request fields are ignored, answers are built from attributes or keywords."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True, use_enum_values=False)


def absent_when_none(description: str):
    """A field left out of the answer (not null) when it does not apply to the reader."""
    return Field(None, description=description, exclude_if=lambda value: value is None)


class AuctionView(Model):
    """One auction as a bidder sees it (also carried by a 409 so the client bids again from it)."""

    id: int
    case_id: int
    round: int = Field(validation_alias="round_no")
    kind: AuctionKind
    title: str
    status: AuctionStatus
    starting_price: Yuan = Field(validation_alias="starting_price_fen")
    increment: Yuan = Field(validation_alias="increment_fen")
    current_price: Yuan | None = Field(validation_alias="current_price_fen")
    minimum_bid: Yuan = Field(validation_alias="minimum_bid_fen")
    deposit: Yuan = Field(validation_alias="deposit_fen")
    starts_at: Moment
    ends_at: Moment
    bid_count: int = Field(ge=0)
    leader: str | None = Field(validation_alias="leader_code", description="The leader's bidder code")
    your_code: str | None
    first_refusal_ends_at: Moment | None
    payment_due_at: Moment | None
    held: bool = Field(description="On hold by a change in the IP office's register: bids are refused "
                       "(409 asset_on_hold) and the deadline is stopped until the trading centre decides.")
    server_time: Moment


class Error(Model):
    """Every refusal: a stable code, a message in the Accept-Language (en or zh), its parameters."""

    error: str = Field(description="A stable code (ErrorCode), e.g. below_minimum")
    message: str
    params: dict[str, Any] = Field(description="Amounts as decimal yuan strings, times in UTC ISO 8601, "
                                               "enum members by value")
    field: str | None = Field(None, description="The request field the refusal is about, when one is")
    parameter: str | None = Field(None, description="The query parameter the refusal is about, when one is")
    problems: list[str] | None = Field(None, description="Each rule the request broke, when several are")
    auction: AuctionView | None = Field(None, description="The fresh auction, on a 409 to a bid or a proxy")


class IdempotencyKey(Model):
    """The header every POST carries: a retry with the same key and body replays the first answer."""

    idempotency_key: str = Field(alias="Idempotency-Key", min_length=1, max_length=200)


# ---- spectree ------------------------------------------------------------------------------------

contract = SpecTree(
    "flask", mode="strict", annotations=True, title="IP disposal marketplace API", version="1.0.0",
    description="Amounts are decimal strings in yuan (e.g. \"1234.50\"); times are UTC ISO 8601. Every POST "
                "carries an Idempotency-Key. Errors are {error, message, params}.",
    naming_strategy=lambda model: model.__name__, nested_naming_strategy=lambda _parent, child: child,
    validation_error_model=Error, servers=[Server(url="/api/v1")],
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer"))],
    security={"bearer": []},
)


def operation(
    tag: str,
    responses: dict[int, tuple[type | None, str] | str],
    *,
    public: bool = False,
    roles: Sequence[Enum] = (),
    operation_id: str | None = None,
) -> Callable:
    """Declare an operation: its tag, its answers by status (a model and a description; a bare description
    for an error), and whether it is public or limited to `roles`. Its body, query and header models are
    the view's `json`, `query`, `headers` parameters (spectree reads the annotations).

    Before the input is judged: who asks (401), then the role (403); then a refused input is our refusal.
    """
    declared = {f"HTTP_{status}": answer if isinstance(answer, tuple) else (Error, answer)
                for status, answer in responses.items()}
    error_status = next((status for status in (422, 400) if status in responses), min(responses))

    def before(_request, _response, error: ValidationError | None, _instance, _adapter) -> None:
        if error is None and not roles:
            return
        if not public:
            if request.method == "POST":
                require_bearer_token()
            user = api_user()
            if roles and user.role not in roles:
                raise Forbidden()
        if error is not None:
            raise refusal_for(error)

    def decorate(view: Callable) -> Callable:
        return contract.validate(
            resp=Response(**{code: answer for code, answer in declared.items()}), tags=[tag],
            security={} if public else None, before=before, validation_error_status=error_status,
            operation_id=operation_id or view.__name__,
        )(view)

    return decorate


def refusal_for(error: ValidationError) -> Refusal:
    """The refusal a declaration's verdict stands for: a refusal raised while parsing (an amount), else one
    chosen from the JSON Schema of the field (text, whole number, date, time, flag, choice, ids)."""
    if request.method == "POST" and request.mimetype != "multipart/form-data" \
            and not isinstance(request.get_json(silent=True), dict):
        return InvalidJson()
    first = error.errors()[0]
    cause = (first.get("ctx") or {}).get("error")
    name = str(first["loc"][0]) if first["loc"] else ""
    refusal = cause if isinstance(cause, Refusal) else _by_schema(name, _field_schema(error.title, name))
    if _in_query() and refusal.kind is not Kind.MALFORMED and not isinstance(refusal, InvalidParameter):
        return InvalidParameter(parameter=name, problem=error_message(refusal))
    return refusal


def _in_query() -> bool:
    return request.method == "GET"


_MODELS: dict[str, type[BaseModel]] = {}


def _field_schema(model_name: str, name: str) -> dict:
    model = _MODELS.get(model_name) or next((m for m in _all_models() if m.__name__ == model_name), None)
    if model is None:
        return {}
    _MODELS[model_name] = model
    schema = model.model_json_schema()
    field = schema.get("properties", {}).get(name, {})
    options = [option for option in field.get("anyOf", [field]) if option.get("type") != "null"] or [field]
    field = options[0]
    if "$ref" in field:
        field = schema.get("$defs", {}).get(field["$ref"].rsplit("/", 1)[-1], {})
    return field


def _all_models() -> list[type[BaseModel]]:
    found, todo = [], [Model]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _by_schema(name: str, schema: dict) -> BadInput:
    kind, fmt = schema.get("type"), schema.get("format")
    if fmt == "binary":  # a file part of a multipart body
        return DocumentMissing()
    if "enum" in schema:
        return NotChoice(field=name, values=list(schema["enum"]))
    if kind == "integer":
        return NotWholeNumber(field=name, low=schema.get("minimum", 0), high=schema.get("maximum", MAX_ID))
    if kind == "boolean":
        return NotFlag(field=name)
    if kind == "array":
        return NotIds(field=name) if schema.get("items", {}).get("type") == "integer" else BadInput(field=name)
    if fmt == "date":
        return NotDate(field=name)
    if fmt == "date-time":
        return NotMoment(field=name)
    if kind == "string":
        return NotText(field=name, limit=schema.get("maxLength", 2000))
    return BadInput(field=name)


# ---- the document ----------------------------------------------------------------------------------

_DOCUMENT: dict | None = None


def document() -> dict:
    """The OpenAPI 3.1 document: spectree's, with paths relative to the server URL, ids' ranges, the named
    ErrorCode enum, the query parameters' styles, and the `webhooks` the platform posts."""
    global _DOCUMENT
    if _DOCUMENT is not None:
        return _DOCUMENT
    spec = contract.spec  # generated once: the routes are the same for every app
    prefix = bp.url_prefix
    paths = {}
    for path, item in spec["paths"].items():
        for operation_spec in item.values():
            for parameter in operation_spec.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
                if parameter["in"] == "query":
                    parameter["schema"] = _not_null(parameter["schema"])
                if parameter["schema"].get("type") == "array":
                    parameter.update(style="form", explode=True)
        paths[path.removeprefix(prefix) or "/"] = item
    spec["paths"] = paths
    schemas = spec["components"]["schemas"]
    schemas.pop("ValidationError", None)
    schemas["ErrorCode"] = {"title": "ErrorCode", "type": "string", "enum": error_codes()}
    schemas["Error"]["properties"]["error"] = {"$ref": "#/components/schemas/ErrorCode",
                                               "description": "A stable code"}
    # What the platform posts to institutions' endpoints (spectree knows only the routes it serves).
    from market.web.api.webhooks import event_schemas, webhooks_section

    schemas.update({name: schema for name, schema in event_schemas().items() if name not in schemas})
    spec["webhooks"] = webhooks_section()
    _DOCUMENT = spec
    return spec


def _not_null(schema: dict) -> dict:
    """A query value is absent or a value: never null."""
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    if len(options) == 1:
        return rest | options[0]
    return rest | ({"anyOf": options} if options else {})


def error_codes() -> list[str]:
    """Every refusal's code, for the ErrorCode enum."""
    codes, todo = {"server_error"}, [Refusal]
    while todo:
        cls = todo.pop()
        codes.add(cls.code)
        todo.extend(cls.__subclasses__())
    return sorted(codes)


class Nothing(Model):
    """An empty query (used by operations that take none)."""
