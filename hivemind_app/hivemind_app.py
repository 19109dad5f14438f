"""The Reflex app: dashboard pages, the agents' API mounted on the same backend, and the runtime."""

import reflex as rx

from hivemind_api.api.app import create_api
from hivemind_app import routes
from hivemind_app.feed_listener import feed_listener
from hivemind_app.lifespan import event_hub, hivemind_runtime
from hivemind_app.pages.analytics import AnalyticsState, analytics_page
from hivemind_app.pages.audit import AuditState, audit_page
from hivemind_app.pages.home import HomeState, home_page
from hivemind_app.pages.keys import KeysState, keys_page
from hivemind_app.pages.knowledge import KnowledgeState, knowledge_page
from hivemind_app.pages.login import LoginState, login_page
from hivemind_app.pages.members import MembersState, members_page
from hivemind_app.pages.review import ReviewState, review_page
from hivemind_app.pages.rules import RulesState, rules_page
from hivemind_app.pages.setup import SetupState, setup_page
from hivemind_app.pages.webhooks import WebhooksState, webhooks_page
from hivemind_app.state.feed import OrgFeedState, PublicFeedState

app = rx.App(api_transformer=create_api())
app.register_lifespan_task(hivemind_runtime)
app.register_lifespan_task(event_hub)
app.register_lifespan_task(feed_listener)

app.add_page(
    home_page,
    route=routes.HOME,
    title="HiveMind",
    on_load=[HomeState.load, PublicFeedState.join, OrgFeedState.join],
)
app.add_page(login_page, route=routes.LOGIN, title="Sign in · HiveMind", on_load=LoginState.load)
app.add_page(setup_page, route=routes.SETUP, title="Set up · HiveMind", on_load=SetupState.load)
app.add_page(review_page, route=routes.REVIEW, title="Review · HiveMind", on_load=ReviewState.load)
app.add_page(keys_page, route=routes.KEYS, title="API keys · HiveMind", on_load=KeysState.load)
app.add_page(rules_page, route=routes.RULES, title="Auto-approve rules · HiveMind", on_load=RulesState.load)
app.add_page(
    knowledge_page, route=routes.KNOWLEDGE, title="Knowledge · HiveMind", on_load=KnowledgeState.load
)
app.add_page(members_page, route=routes.MEMBERS, title="Members · HiveMind", on_load=MembersState.load)
app.add_page(webhooks_page, route=routes.WEBHOOKS, title="Webhooks · HiveMind", on_load=WebhooksState.load)
app.add_page(audit_page, route=routes.AUDIT, title="Audit log · HiveMind", on_load=AuditState.load)
app.add_page(
    analytics_page,
    route=routes.ANALYTICS,
    title="Analytics · HiveMind",
    on_load=[AnalyticsState.load, PublicFeedState.join, OrgFeedState.join],
)
