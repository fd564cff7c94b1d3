"""Operator commands: `flask --app app users create`, `seed`, `demo`, `outbox deliver`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal.demo import HISTORY_DAYS, complete_open_applications, load_demo, load_history
from portal.extensions import db
from portal.models import INVESTOR, ROLES
from portal.services import DomainError
from portal.services import accounts as accounts_service
from portal.services.mail import deliver_pending
from portal.services.reference import seed_reference

users = AppGroup("users", help="Manage accounts.")
outbox = AppGroup("outbox", help="Deliver queued e-mail.")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default=INVESTOR, show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="", help="Full name.")
def create_user(email: str, role: str, password: str, name: str) -> None:
    """Create an account (confirmed, since an operator vouches for it)."""
    try:
        user = accounts_service.create_user(
            email, password, role=role, full_name=name, confirmed=True
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Created {role} {user.email}.")


@outbox.command("deliver")
def deliver() -> None:
    """Send the e-mail that is due (run from cron where no RQ worker runs)."""
    sent, failed = deliver_pending()
    click.echo(f"Sent {sent}, failed {failed} (will retry).")


@click.command("seed")
def seed() -> None:
    """Load zones, sectors, eligibility, baselines and rejection reasons (idempotent)."""
    added = seed_reference()
    click.echo("Reference data: " + ", ".join(f"{k} +{v}" for k, v in added.items()))


@click.command("demo")
@click.option(
    "--history-days",
    type=click.IntRange(min=1),
    default=HISTORY_DAYS,
    show_default=True,
    help="Days of history for the dashboard.",
)
def demo(history_days: int) -> None:
    """Load demo accounts and applications (idempotent) and print the accounts."""
    seed_reference()
    added = load_history(history_days)
    accounts = load_demo()  # after the history, so its registration takes the next number
    if added:
        click.echo(f"Dashboard history: {added} applications ({history_days} days).")
    completed = complete_open_applications()
    if completed:
        click.echo(f"Review queue: {completed} open applications with founders and documents.")
    click.echo(f"Demo accounts (password for all: {accounts['password']}):")
    for role, email in accounts["users"]:
        click.echo(f"  {role:9} {email}")


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(outbox)
    app.cli.add_command(seed)
    app.cli.add_command(demo)
