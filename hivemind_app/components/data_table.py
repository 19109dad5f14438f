"""A full-width table: a header row, then one row per item of a state list."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import reflex as rx


def data_table(
    headers: Sequence[str], rows: rx.Var, row: Callable[[rx.Var], rx.Component], *, element_id: str
) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(rows, row)),
        width="100%",
        id=element_id,
    )
