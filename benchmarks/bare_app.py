"""The ceiling for benchmarks/load.py: a bare Flask app, one route answering a short HTML page.

Served by the same gunicorn settings as the portal, so a page's share of this app's requests
per second is what the portal's own work costs on top of the server and the framework.
"""

from flask import Flask

app = Flask(__name__)

PAGE = "<!doctype html><html lang=en><title>ceiling</title><p>Hello from Khorgos.</p></html>"


@app.get("/")
def index():
    return PAGE
