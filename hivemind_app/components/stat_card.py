"""A labelled number."""

import reflex as rx


def stat_card(label: str, value: rx.Var | int | str, hint: str, *, card_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray", weight="medium"),
            rx.heading(value, size="7", id=card_id),
            rx.text(hint, size="1", color_scheme="gray"),
            spacing="1",
        ),
        width="100%",
    )
