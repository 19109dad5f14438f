"""The centred card that holds the signed-out forms (sign-in, first-run setup)."""

from __future__ import annotations

import reflex as rx


def error_callout(message: rx.Var, *, element_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", id=element_id, width="100%"),
    )


def form_field(label: str, name: str, *, required: bool = True, **props) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(name=name, id=name, required=required, width="100%", size="3", **props),
        spacing="1",
        width="100%",
    )


def auth_card(*children: rx.Component, on_submit: rx.EventHandler, width: str = "26em") -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(*children, spacing="3", width="100%"),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
            width=width,
            size="4",
        ),
        min_height="100vh",
        background_color=rx.color("gray", 2),
    )
