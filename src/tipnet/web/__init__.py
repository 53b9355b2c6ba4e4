"""Web application: FastAPI, server-rendered pages in four languages, each with a JSON twin."""
