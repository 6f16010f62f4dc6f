"""Rules for a registrant's custom fields (Backendless's dynamic and declared properties)."""

from __future__ import annotations

import json
import math
from typing import Any

from gql.domain.errors import DomainError, ErrorCode
from gql.domain.registration_settings import DEFAULT_VALUE_LIMIT, RegistrationSettings, check_property_name

MAX_CUSTOM_FIELDS = 100
Scalar = str | int | float | bool | None


def _text(value: Scalar) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _is_empty(value: Scalar) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def check_custom_fields(settings: RegistrationSettings, fields: dict[str, Any] | None) -> dict[str, Scalar]:
    """Validate custom fields against the settings; return them under their declared names.

    The checks run in the order Backendless reports them: reserved names (3039),
    duplicates or clashes (3043), unknown names (3010), a missing identity (3013),
    missing (3012) or empty (3041) required properties, then lengths (8000).
    """
    fields = fields or {}
    if not isinstance(fields, dict):
        raise DomainError(ErrorCode.REGISTRATION_ERROR, "customFields must be a JSON object.", property="customFields")
    if len(fields) > MAX_CUSTOM_FIELDS:
        raise DomainError(
            ErrorCode.REGISTRATION_ERROR,
            f"At most {MAX_CUSTOM_FIELDS} custom fields.",
            property="customFields",
            limit=MAX_CUSTOM_FIELDS,
        )
    result: dict[str, Scalar] = {}
    seen: dict[str, str] = {}
    for name, value in fields.items():
        check_property_name(name)
        key = name.casefold()
        if key in seen:
            raise DomainError(
                ErrorCode.DUPLICATE_PROPERTY, f'Properties "{seen[key]}" and "{name}" are duplicates.', property=name
            )
        seen[key] = name
        declared = settings.declared(name)
        if declared is None and not settings.dynamic_properties:
            raise DomainError(
                ErrorCode.UNKNOWN_PROPERTY,
                f'Unknown property "{name}", and dynamic properties are disabled.',
                property=name,
            )
        if not isinstance(value, (str, int, float, bool)) and value is not None:
            raise DomainError(
                ErrorCode.REGISTRATION_ERROR,
                f'Property "{name}" must be a string, number, boolean or null.',
                property=name,
            )
        if isinstance(value, float) and not math.isfinite(value):
            # NaN and ±inf are not JSON: stored, they would make every response showing them
            # invalid JSON. The HTTP edge and the JSON scalar refuse them first; this is the
            # rule itself, for any other way in.
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                f'Property "{name}" must be a finite number, not {value}.',
                property=name,
            )
        result[declared.name if declared else name] = value

    if not settings.identity_is_email:
        identity = settings.identity_property
        if _is_empty(result.get(identity)):
            raise DomainError(
                ErrorCode.MISSING_IDENTITY, f'The identity property "{identity}" has no value.', property=identity
            )
    for prop in settings.declared_properties:
        if prop.required and prop.name not in result:
            raise DomainError(
                ErrorCode.REQUIRED_PROPERTY_MISSING, f'Required property "{prop.name}" is missing.', property=prop.name
            )
        if prop.required and _is_empty(result[prop.name]):
            raise DomainError(
                ErrorCode.REQUIRED_PROPERTY_EMPTY, f'Required property "{prop.name}" is empty.', property=prop.name
            )
    for name, value in result.items():
        declared = settings.declared(name)
        limit = declared.max_length if declared else DEFAULT_VALUE_LIMIT
        if len(_text(value)) > limit:
            raise DomainError(
                ErrorCode.VALUE_TOO_LONG,
                f'Property "{name}" is longer than {limit} characters.',
                property=name,
                limit=limit,
            )
    return result


def check_length(name: str, value: str | None, limit: int = DEFAULT_VALUE_LIMIT) -> None:
    """Built-in text fields (names, phones, …) share the default limit."""
    if value is not None and len(value) > limit:
        raise DomainError(
            ErrorCode.VALUE_TOO_LONG, f'"{name}" is longer than {limit} characters.', property=name, limit=limit
        )
