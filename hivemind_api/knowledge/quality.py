"""Quality from outcomes, Bayesian-smoothed so one vote cannot swing a new item far.

With a Beta(4, 4) prior a new item scores 0.5 and a single "solved" moves it to 0.556 (the
earlier implementation jumped to 0.70). Popularity and freshness join in the rescoring job.
"""

PRIOR_HELPFUL = 4.0
PRIOR_NOT_HELPFUL = 4.0


def usefulness(helpful: int, not_helpful: int) -> float:
    return (helpful + PRIOR_HELPFUL) / (helpful + not_helpful + PRIOR_HELPFUL + PRIOR_NOT_HELPFUL)


def usefulness_sql(helpful: str, not_helpful: str) -> str:
    """The same formula as SQL over two expressions, for atomic updates beside the counters."""
    return f"(({helpful}) + {PRIOR_HELPFUL}) / (({helpful}) + ({not_helpful}) + {PRIOR_HELPFUL + PRIOR_NOT_HELPFUL})"
