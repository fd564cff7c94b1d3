"""Operator commands: `flask --app app users create`, `seed`, `demo`, `outbox deliver`,
`check-deploy`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from portal import deploy
from portal.demo import HISTORY_DAYS, complete_open_applications, load_demo, load_history
from portal.extensions import db
from portal.models import INVESTOR, ROLES
from portal.services import DomainError, mfa
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


@users.command("reset-two-step")
@click.argument("email")
def reset_two_step(email: str) -> None:
    """Turn two-step sign-in off for EMAIL (lost phone and recovery codes): check who they are
    first. Their sessions end; where their role requires it, they set it up again."""
    user = accounts_service.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    mfa.reset_by_operator(user)
    db.session.commit()
    click.echo(f"Two-step sign-in is off for {user.email}; their sessions are ended.")


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


@click.command("check-deploy")
@with_appcontext
def check_deploy() -> None:
    """List every setting that is unsafe in production; exit 1 if there is any."""
    found = deploy.problems(current_app.config)
    if not found:
        click.echo("ok")
        return
    click.echo(f"{len(found)} unsafe setting(s) for production:")
    for problem in found:
        click.echo(f"  - {problem}")
    raise click.exceptions.Exit(1)


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(outbox)
    app.cli.add_command(seed)
    app.cli.add_command(demo)
    app.cli.add_command(check_deploy)
