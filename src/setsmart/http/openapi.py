"""The OpenAPI 3 document of the HTTP API (`GET /api/openapi.json`). Pure data."""

from __future__ import annotations

from typing import Any

from setsmart import __version__

_ERROR = {"$ref": "#/components/responses/Error"}
_OBJECT: dict[str, Any] = {"type": "object"}
_NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _ERROR for code in (401, *codes)}


_NAME = {
    "name": "name",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
}
_TIME = {"type": "string", "description": "ISO 8601; UTC when it names no zone"}
_FROM = {"name": "from", "in": "query", "schema": _TIME}
_TO = {"name": "to", "in": "query", "schema": _TIME}

_DEVICE: dict[str, Any] = {
    "type": "object",
    "required": ["name", "id", "type", "connection", "host", "version", "available", "state"],
    "properties": {
        "name": {"type": "string"},
        "id": {"type": "string"},
        "type": {"type": "string"},
        "connection": {"enum": ["lan", "cloud", "offline"]},
        "host": _NULLABLE_STRING,
        "version": _NULLABLE_STRING,
        "available": {"type": "boolean"},
        "state": {"type": ["object", "null"]},
        "capabilities": _OBJECT,
    },
}
_COMMAND_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["status", "state"],
    "properties": {"status": {"const": "ok"}, "state": {"type": ["object", "null"]}},
}
_BRIDGE_OPS = ["health_check", "devices", "scan", "reload", "firmware/check", "firmware/upgrade"]


def openapi_document() -> dict[str, Any]:
    """The document: every route the server answers, with its answers."""
    device_ops = _errors(404, 503)
    return {
        "openapi": "3.1.0",
        "info": {"title": "setsmart", "version": __version__},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Device": _DEVICE},
            "responses": {
                "Error": _ok(
                    {
                        "type": "object",
                        "required": ["status", "error"],
                        "properties": {"status": {"const": "error"}, "error": {"type": "string"}},
                    },
                    "An error: one readable line",
                )
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/health": {
                "get": {
                    "security": [],
                    "responses": {
                        "200": _ok(
                            {
                                "type": "object",
                                "required": ["status", "mqtt", "devices", "version", "uptime_s"],
                                "properties": {
                                    "status": {"const": "ok"},
                                    "mqtt": {"enum": ["connected", "disconnected"]},
                                    "devices": {
                                        "type": "object",
                                        "required": ["online", "total"],
                                        "properties": {
                                            "online": {"type": "integer", "minimum": 0},
                                            "total": {"type": "integer", "minimum": 0},
                                        },
                                    },
                                    "version": {"type": "string"},
                                    "uptime_s": {"type": "number"},
                                    "tasks": {"type": "integer", "minimum": 1},
                                },
                            }
                        )
                    },
                }
            },
            "/api/devices": {
                "get": {
                    "responses": {
                        "200": _ok(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Device"}}
                        ),
                        **_errors(),
                    }
                }
            },
            "/api/devices/{name}": {
                "get": {
                    "parameters": [_NAME],
                    "responses": {
                        "200": _ok({"$ref": "#/components/schemas/Device"}),
                        **_errors(404),
                    },
                }
            },
            "/api/devices/{name}/set": {
                "post": {
                    "parameters": [_NAME],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"type": ["object", "string"]}}},
                    },
                    "responses": {
                        "200": _ok(_COMMAND_RESULT, "Carried out; the state the device confirmed"),
                        **_errors(400, 413, 504),
                        **device_ops,
                    },
                }
            },
            "/api/devices/{name}/get": {
                "post": {
                    "parameters": [_NAME],
                    "responses": {"200": _ok(_COMMAND_RESULT), **device_ops, **_errors(413, 504)},
                }
            },
            "/api/devices/{name}/history": {
                "get": {
                    "parameters": [
                        _NAME,
                        {
                            "name": "key",
                            "in": "query",
                            "schema": {"type": "string", "default": "power"},
                        },
                        _FROM,
                        _TO,
                    ],
                    "responses": {
                        "200": _ok(
                            {
                                "type": "object",
                                "required": ["key", "unit", "points"],
                                "properties": {
                                    "key": {"type": "string"},
                                    "unit": _NULLABLE_STRING,
                                    "points": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["t", "v"],
                                            "properties": {
                                                "t": {"type": "string"},
                                                "v": {"type": "number"},
                                            },
                                        },
                                    },
                                },
                            }
                        ),
                        **_errors(400, 404, 503),
                    },
                }
            },
            "/api/devices/{name}/energy": {
                "get": {
                    "parameters": [
                        _NAME,
                        {
                            "name": "resolution",
                            "in": "query",
                            "schema": {"enum": ["hour", "day"], "default": "hour"},
                        },
                        _FROM,
                        _TO,
                    ],
                    "responses": {
                        "200": _ok(
                            {
                                "type": "object",
                                "required": ["unit", "points"],
                                "properties": {
                                    "unit": {"const": "kWh"},
                                    "points": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["t", "kwh"],
                                            "properties": {
                                                "t": {"type": "string"},
                                                "kwh": {"type": "number"},
                                            },
                                        },
                                    },
                                },
                            }
                        ),
                        **_errors(400, 404, 503),
                    },
                }
            },
            "/api/events": {
                "get": {
                    "description": "Server-Sent Events: state, availability, log, devices, firmware"
                    " (`data` is JSON with `device`); the current state of every device first."
                    " The token may be given as `?access_token=`.",
                    "parameters": [
                        {"name": "access_token", "in": "query", "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {"description": "The stream", "content": {"text/event-stream": {}}},
                        **_errors(),
                    },
                }
            },
            "/api/log": {
                "get": {
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": 200},
                        }
                    ],
                    "responses": {
                        "200": _ok(
                            {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["level", "message"],
                                    "properties": {
                                        "level": {"type": "string"},
                                        "message": {"type": "string"},
                                        "device": {"type": "string"},
                                        "topic": {"type": "string"},
                                        "time": {"type": "string"},
                                    },
                                },
                            }
                        ),
                        **_errors(400),
                    },
                }
            },
            "/api/bridge/{op}": {
                "post": {
                    "parameters": [
                        {
                            "name": "op",
                            "in": "path",
                            "required": True,
                            "schema": {"enum": _BRIDGE_OPS},
                        }
                    ],
                    "requestBody": {"content": {"application/json": {"schema": _OBJECT}}},
                    "responses": {
                        "200": _ok(
                            {
                                "type": "object",
                                "required": ["status", "data"],
                                "properties": {"status": {"const": "ok"}, "data": {}},
                            }
                        ),
                        **_errors(400, 404, 413, 503, 504),
                    },
                }
            },
            "/api/openapi.json": {"get": {"security": [], "responses": {"200": _ok(_OBJECT)}}},
        },
    }
