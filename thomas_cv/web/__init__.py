"""The Thomas-test web page (Streamlit), one module per view; the entry is :func:`thomas_cv.web.app.main`.

Importing this package never starts a page.
"""
