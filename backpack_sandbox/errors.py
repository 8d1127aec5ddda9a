"""API error type shared by the engine, auth and routes.

Body shape ``{"code": "<ApiErrorCode>", "message": "<text>"}`` (docs/backpack-api.md §6.2); codes from the
``ApiErrorCode`` enum (§6.2) and messages from §6.3 where known.
"""
from __future__ import annotations


class ApiError(Exception):
    """An error answer: HTTP ``status`` plus JSON ``{"code","message"}`` (or plain text if ``plain``)."""

    def __init__(self, status: int, code: str, message: str, plain: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.plain = plain

    def body(self) -> dict:
        return {"code": self.code, "message": self.message}


def bad_request(message: str, code: str = "INVALID_CLIENT_REQUEST") -> ApiError:
    return ApiError(400, code, message)


def not_found() -> ApiError:
    """404 ``RESOURCE_NOT_FOUND`` / ``Not Found`` (§5.7, §5.9)."""
    return ApiError(404, "RESOURCE_NOT_FOUND", "Not Found")


def parse_error(param: str, detail: str = "") -> ApiError:
    """Plain-text 400 for unparsable query parameters (§4.6, §6.1)."""
    text = f"failed to parse parameter `{param}`"
    if detail:
        text += f": {detail}"
    return ApiError(400, "", text, plain=True)
