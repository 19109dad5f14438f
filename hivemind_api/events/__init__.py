"""The ordered history of visible changes and everything that follows it live: ``log`` (the
events table and ``pg_notify``), ``hub`` (one LISTEN per process), ``stream`` (one SSE client's
view) and ``feeds`` (the dashboard's public and org feeds)."""
