"""Reflex configuration. The database is not configured here: HiveMind's own runtime resolves it
(embedded or ``HIVEMIND_DATABASE_URL``) when the backend starts, so compiling needs no database."""

import reflex as rx

config = rx.Config(
    app_name="hivemind_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="amber", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
