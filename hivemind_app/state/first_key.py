"""The first agent key made at first-run setup: shown once on the home page, never stored in
clear. Its own state so that the setup page writes it and the home page reads it without either
page importing the other."""

from __future__ import annotations

import reflex as rx


class FirstKeyState(rx.State):
    key: str = ""
    agent: str = ""

    @rx.event
    def dismiss(self):
        self.key = ""
        self.agent = ""
