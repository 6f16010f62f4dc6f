"""Benchmarks of the members GraphQL server, reported as ratios against physical bounds.

``python -m bench`` starts the real server (uvicorn, one worker) on a seeded database,
drives it over HTTP from 127.0.0.1 and prints one table; ``--smoke`` runs the same
path with small counts (CI keeps it working, no target is enforced); ``--postgres``
runs against PostgreSQL instead of the embedded SQLite default.

Ratios taken in one run are comparable between machines; absolute numbers are not.
"""
