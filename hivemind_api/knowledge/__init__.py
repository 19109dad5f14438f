"""Knowledge: contributions, the ingestion pipeline, search, items, outcomes and review."""
