"""schemathesis: generated requests to every API operation find no server error and no
response that breaks the published schema."""

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# What the issue asks: no 5xx, and every response as the schema says. (Not "every schema-valid
# request is accepted": which groups and languages exist is data, not schema.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def test_the_api_keeps_its_schema(app: FastAPI, mexico: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {o.label for o in operations} == {
        "GET /api/groups", "POST /api/cards", "GET /api/cards/{card_id}",
        "GET /api/groups/{slug}/cards", "GET /healthz", "GET /readyz",
    }  # fmt: skip
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers={"Authorization": f"Bearer {mexico}"}, checks=CHECKS)

        check()
