"""The signed-in page frame: sidebar navigation, a header with org and user, and sign-out."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from hivemind_app import routes
from hivemind_app.state.auth import AuthState

NAV: list[tuple[str, str, str]] = [
    ("Home", routes.HOME, "house"),
    ("Review queue", routes.REVIEW, "inbox"),
    ("Knowledge", routes.KNOWLEDGE, "book-open"),
    ("Analytics", routes.ANALYTICS, "chart-column"),
    ("API keys", routes.KEYS, "key-round"),
    ("Auto-approve rules", routes.RULES, "list-checks"),
    ("Members", routes.MEMBERS, "users"),
    ("Webhooks", routes.WEBHOOKS, "webhook"),
    ("Audit log", routes.AUDIT, "scroll-text"),
]


def _nav_link(label: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label, size="3"), spacing="2", align="center"),
        href=href,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        width="100%",
        padding_y="0.4em",
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("hexagon", size=26, color=rx.color("amber", 9)),
            rx.heading("HiveMind", size="5"),
            align="center",
            spacing="2",
        ),
        rx.text("Knowledge commons for agents", size="1", color_scheme="gray"),
        rx.divider(margin_y="0.75em"),
        *[_nav_link(*item) for item in NAV],
        width="15em",
        min_height="100vh",
        padding="1.25em",
        background_color=rx.color("gray", 2),
        border_right=f"1px solid {rx.color('gray', 5)}",
        align="start",
        spacing="1",
    )


def header(title: str) -> rx.Component:
    return rx.hstack(
        rx.heading(title, size="6"),
        rx.spacer(),
        rx.hstack(
            rx.badge(AuthState.org_name, id="header-org", size="2", variant="soft"),
            rx.text(AuthState.user_email, id="header-user", size="2"),
            rx.badge(AuthState.role, id="header-role", color_scheme="gray"),
            rx.button(
                rx.icon("log-out", size=16),
                "Sign out",
                id="logout",
                variant="soft",
                color_scheme="gray",
                size="2",
                on_click=AuthState.logout,
            ),
            align="center",
            spacing="3",
        ),
        width="100%",
        align="center",
        padding_bottom="1em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def page_layout(title: str, content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """Wrap a page body in the signed-in frame; nothing renders until the session is checked."""

    def page() -> rx.Component:
        return rx.hstack(
            sidebar(),
            rx.box(
                rx.cond(
                    AuthState.is_signed_in,
                    rx.vstack(header(title), content(), width="100%", spacing="5"),
                    rx.center(rx.spinner(size="3"), height="50vh"),
                ),
                flex="1",
                padding="2em",
                max_width="80em",
            ),
            align="start",
            spacing="0",
            width="100%",
        )

    return page
