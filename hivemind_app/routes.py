"""Every dashboard route in one place."""

HOME = "/"
LOGIN = "/login"
SETUP = "/setup"
REVIEW = "/review"
KEYS = "/settings/keys"
RULES = "/settings/rules"
KNOWLEDGE = "/knowledge"
