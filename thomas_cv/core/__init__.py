"""Pure measurement: geometry, landmarks, the side and front readings, fusion of looks, the test-position rule, interpretation, constants and errors. numpy only: no cv2, no model, no PIL."""
