"""Cross-cutting dashboard state."""
