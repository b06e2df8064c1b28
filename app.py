"""Start the Thomas-test web page: ``streamlit run app.py`` (or ``thomas-cv app``)."""

from thomas_cv.webapp import main

main()
