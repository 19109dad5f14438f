"""Show a secret exactly once, with a copy button and a way to dismiss it."""

from __future__ import annotations

import reflex as rx

HASH_ONLY = "Copy it now: HiveMind keeps only its hash and cannot show it again."


def secret_reveal(
    title: str, secret: rx.Var, on_dismiss: rx.EventHandler, *, element_id: str, note: str = HASH_ONLY
) -> rx.Component:
    return rx.callout.root(
        rx.vstack(
            rx.hstack(rx.icon("key-round", size=18), rx.text(title, weight="bold"), align="center"),
            rx.text(note, size="2"),
            rx.hstack(
                rx.code(secret, id=element_id, size="3", variant="outline"),
                rx.icon_button(
                    rx.icon("copy", size=16), on_click=rx.set_clipboard(secret), variant="soft", title="Copy"
                ),
                rx.button("Done", on_click=on_dismiss, variant="outline", size="2", id=f"{element_id}-done"),
                align="center",
                wrap="wrap",
            ),
            spacing="2",
        ),
        color_scheme="amber",
        width="100%",
    )
