"""thomas-cv: measure the Thomas test (hip-flexor length) from side-view photos and videos.

A measurement aid, not a diagnosis. Core entry points: :func:`thomas_cv.pipeline.photo.analyze_path`,
:func:`thomas_cv.pipeline.video.analyze_video`, :func:`thomas_cv.batch.run_batch`.
"""

__version__ = "0.1.0"
