"""HiveMind's curator dashboard (Reflex). Pages and states are thin adapters over hivemind_api."""
