"""One frame pipeline for photo, video and live (no Streamlit, no web code).

- photo: :func:`thomas_cv.pipeline.photo.analyze_image` (several looks at one photo, combined as
  whole skeletons) and :func:`thomas_cv.pipeline.photo.finalise`, the one step that turns a reading
  into a :class:`~thomas_cv.pipeline.photo.Result` (test-position gate, uncertainty, findings, overlay);
- :mod:`thomas_cv.pipeline.frames`: reference search-then-keep, one frame's reading, steadiness
  and the held position's result, shared by :mod:`thomas_cv.pipeline.video` and the live camera;
- :mod:`thomas_cv.pipeline.live`: :class:`~thomas_cv.pipeline.live.LiveSession`, which the web
  page only wires to the browser's camera.
"""
