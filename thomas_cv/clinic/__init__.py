"""A clinic's workflow on top of the photo pipeline: both sides as one assessment
(:mod:`.assessment`), hand-corrected points (:mod:`.correction`), the report (:mod:`.report`),
progress over time (:mod:`.history`) and FHIR export (:mod:`.fhir`).

A measurement aid, not a diagnosis.
"""
