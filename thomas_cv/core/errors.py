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


class WrongViewError(ThomasCVError):
    """The photo shows another view than the one asked for (a side view given as the front
    view, or the other way round): a clear error, never a number read off the wrong view."""

    code = "wrong_view"


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


class ImageTooComplexError(ThomasCVError):
    """A photo whose decoding would cost far more time or memory than any real photo
    (e.g. a progressive JPEG repeating one scan hundreds of times)."""

    code = "image_too_complex"


class FileTimeoutError(ThomasCVError):
    """One file took longer than the per-file time limit; its worker was stopped."""

    code = "timeout"


class SkippedError(ThomasCVError):
    """A file or folder found in a batch's input and deliberately not measured (a link to
    another folder, a folder too deep or unreadable, a format the tool does not open)."""

    code = "skipped"


class OutputWriteError(ThomasCVError):
    """The output cannot be written (disk full, read-only, a file where a folder should
    be): a problem of the output place, not of the photo; ``--resume`` retries it."""

    code = "output_not_writable"


class ResumeMismatchError(InvalidOptionError):
    """``--resume`` on a batch that was started with other options, or whose journal is
    missing or from another version."""

    code = "resume_mismatch"


class SchedulerUnreachableError(InvalidOptionError):
    code = "scheduler_unreachable"


class ClusterLostError(ThomasCVError):
    """The Dask cluster had no worker left for too long; the rows measured so far are saved."""

    code = "cluster_lost"


def _all_codes() -> tuple:
    seen, stack = set(), [ThomasCVError]
    while stack:
        c = stack.pop()
        seen.add(c.code)
        stack.extend(c.__subclasses__())
    return tuple(sorted(seen))


#: every stable error code, for documentation and tests
ERROR_CODES = _all_codes()
#: codes of failures caused by the machine or the output place, not by the photo:
#: ``batch --resume`` measures these files again
RETRY_ON_RESUME = ("output_not_writable", "skipped")
