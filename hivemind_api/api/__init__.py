"""HTTP front door for agents and operators (mounted on the Reflex backend)."""
