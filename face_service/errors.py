"""The Face API's error contract: ``{"error": {"code": ..., "message": ...}}`` with its HTTP status."""

from __future__ import annotations

from pydantic import BaseModel


class FaceError(BaseModel):
    """The inner error object, as the Face API and ``azure.ai.vision.face.models.FaceError`` name it."""

    code: str
    message: str


class FaceErrorResponse(BaseModel):
    """The error body every failed call returns."""

    error: FaceError


class FaceApiError(Exception):
    """A request the Face API would refuse; rendered as :class:`FaceErrorResponse` with ``status``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> FaceErrorResponse:
        """The JSON body for this error."""
        return FaceErrorResponse(error=FaceError(code=self.code, message=self.message))


# The Face API's own wording (learn.microsoft.com, "Face API error codes"), where it has one.
def invalid_image(detail: str | None = None) -> FaceApiError:
    """400 ``InvalidImage``: the bytes are not a decodable JPEG, PNG, GIF or BMP."""
    msg = "Decoding error, image format unsupported."
    return FaceApiError(400, "InvalidImage", f"{msg} {detail}" if detail else msg)


def image_too_small(detail: str | None = None) -> FaceApiError:
    """400 ``InvalidImageSize``: empty body or fewer than 36 pixels a side."""
    msg = "Image size is too small."
    return FaceApiError(400, "InvalidImageSize", f"{msg} {detail}" if detail else msg)


def image_too_big(detail: str | None = None) -> FaceApiError:
    """400 ``InvalidImageSize``: more than 6 MB or more than 4096 pixels a side."""
    msg = "Image size is too big."
    return FaceApiError(400, "InvalidImageSize", f"{msg} {detail}" if detail else msg)


def bad_argument(message: str) -> FaceApiError:
    """400 ``BadArgument`` with a message naming the argument."""
    return FaceApiError(400, "BadArgument", message)


def unsupported_media_type(content_type: str) -> FaceApiError:
    """415 ``BadArgument``: the body is neither raw image bytes nor JSON."""
    return FaceApiError(
        415, "BadArgument",
        f"Invalid Media Type. {content_type!r} is not accepted: send the image as application/octet-stream.",
    )


def unauthorized() -> FaceApiError:
    """401: missing or wrong ``Ocp-Apim-Subscription-Key``."""
    return FaceApiError(
        401, "401",
        "Access denied due to invalid subscription key or wrong API endpoint. "
        "Make sure to provide a valid key in the Ocp-Apim-Subscription-Key header.",
    )


def rate_limited(retry_after_s: int) -> FaceApiError:
    """429 ``RateLimitExceeded`` with ``Retry-After``: the work queue is full."""
    return FaceApiError(
        429, "RateLimitExceeded", "Rate limit is exceeded. Try again later.",
        headers={"Retry-After": str(retry_after_s)},
    )
