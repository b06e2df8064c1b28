"""What reads the picture: the pose model (the only mediapipe import), which person, the table, the overlays and face blurring. May import core and cv2."""
