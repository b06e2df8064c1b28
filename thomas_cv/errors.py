"""The tool's own exceptions: each carries a stable ``code`` and a one-line message a
clinician understands, saying what is wrong and what to do."""

from __future__ import annotations


class ThomasCVError(Exception):
    """Base class. ``code`` is a stable snake_case identifier for CSV/JSON output."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # one line, always
        return " ".join(self.message.split())


class UnreadableImageError(ThomasCVError):
    code = "unreadable_image"


class ImageTooLargeError(ThomasCVError):
    code = "image_too_large"


class ImageTooSmallError(ThomasCVError):
    code = "image_too_small"


class UnreadableVideoError(ThomasCVError):
    code = "unreadable_video"


class UnsupportedFileError(ThomasCVError):
    code = "unsupported_file"


class NoPersonFoundError(ThomasCVError):
    code = "no_person_found"


class LandmarkNotVisibleError(ThomasCVError):
    code = "landmark_not_visible"


class NotTestPositionError(ThomasCVError):
    code = "not_test_position"


class InvalidOptionError(ThomasCVError):
    code = "invalid_option"


class UnreadableArchiveError(ThomasCVError):
    code = "unreadable_archive"


class UnsafeArchiveError(InvalidOptionError):
    """A zip refused for safety (zip bomb, too many entries)."""

    code = "unsafe_archive"


class InternalError(ThomasCVError):
    """An unexpected failure on one input (a bug or a crashed worker), reported as a row
    instead of stopping the batch."""

    code = "internal_error"


class WorkerCrashedError(InternalError):
    code = "worker_crashed"


#: every stable error code, for documentation and tests
ERROR_CODES = tuple(
    sorted({c.code for c in (ThomasCVError, UnreadableImageError, ImageTooLargeError, ImageTooSmallError,
                              UnreadableVideoError, UnsupportedFileError, NoPersonFoundError,
                              LandmarkNotVisibleError, NotTestPositionError, InvalidOptionError,
                              UnreadableArchiveError, UnsafeArchiveError, InternalError, WorkerCrashedError)})
)
