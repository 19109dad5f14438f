"""A button that asks before it does something that cannot be undone (revoke, remove, delete).

The confirming button has the fixed id ``confirm`` (only one dialog is open at a time) and the
dialog closes on either choice. Stateless: the caller passes the event to run.
"""

from __future__ import annotations

import reflex as rx


def confirm_button(
    label: str,
    *,
    title: str | rx.Var,
    description: str | rx.Var,
    on_confirm: rx.EventSpec,
    element_id: str | rx.Var,
    confirm_label: str | None = None,
    size: str = "1",
) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(label, size=size, color_scheme="red", variant="soft", id=element_id)
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", id="cancel")),
                rx.alert_dialog.action(
                    rx.button(confirm_label or label, color_scheme="red", on_click=on_confirm, id="confirm")
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="28em",
        ),
    )
