"""Start the Thomas-test web page: ``streamlit run app.py`` (or ``thomas-cv app``)."""

from thomas_cv.web.app import main

main()
