"""Operator commands: `flask --app app users create`, `seed`, `demo`, `outbox deliver`,
`documents migrate`, `keys init|rotate|publish|list`, `certificates check`, `open-data publish`,
`check-deploy`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from portal import deploy
from portal.config import LOCAL_STORAGE, PRODUCTION, STORAGE_BACKENDS
from portal.demo import HISTORY_DAYS, complete_open_applications, load_demo, load_history
from portal.extensions import db
from portal.models import INVESTOR, ROLES
from portal.services import DomainError, mfa, open_data, signing, statements, storage
from portal.services import accounts as accounts_service
from portal.services import certificates as certificates_service
from portal.services.mail import deliver_pending, outbox_state
from portal.services.reference import seed_reference

users = AppGroup("users", help="Manage accounts.")
outbox = AppGroup("outbox", help="Deliver queued e-mail.")
documents = AppGroup("documents", help="Where uploaded documents are kept.")


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
    """Send the e-mail that is due (run from cron where no RQ worker runs, and as the fallback
    while Redis is away)."""
    sent, failed = deliver_pending()
    click.echo(f"Sent {sent}, failed {failed} (will retry).")
    dead = outbox_state().dead
    if dead:
        click.echo(
            f"{dead} undelivered after every attempt: an admin can send them again at /admin/mail."
        )


@documents.command("migrate")
@click.option(
    "--to",
    "target",
    type=click.Choice(STORAGE_BACKENDS),
    default=None,
    help="Where to copy them (default: DOCUMENT_STORAGE).",
)
@click.option(
    "--from",
    "source",
    type=click.Choice(STORAGE_BACKENDS),
    default=LOCAL_STORAGE,
    show_default=True,
    help="Where they are now.",
)
def migrate_documents(target: str | None, source: str) -> None:
    """Copy every document into another storage (idempotent: run it again after a stop).

    Each copy is checked against the SHA-256 recorded at upload; nothing is deleted."""
    target = target or storage.configured_kind(current_app.config)
    if target == source:
        raise click.UsageError(f"The documents are already in {source}: choose --to or --from.")
    try:
        report = storage.copy_documents(
            storage.make_store(source, current_app.config),
            storage.make_store(target, current_app.config),
        )
    except storage.StorageUnavailable as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Copied {report.copied} document(s) from {source} to {target}; "
        f"{report.present} already there."
    )
    for label, names in (("missing in " + source, report.missing), ("damaged", report.damaged)):
        for name in names:
            click.echo(f"  {label}: {name}", err=True)
    if report.missing or report.damaged:
        raise click.exceptions.Exit(1)


keys = AppGroup("keys", help="The keys that sign certificates of registration.")
certificates = AppGroup("certificates", help="Check certificates of registration.")


def _signing_with() -> str:
    keys_now = signing.current_keys()
    return (
        f"Signing certificate: {keys_now.certificate.subject.rfc4514_string()}\n"
        f"QR statement key: {keys_now.statement_kid} (Ed25519)\n"
        "Every public key that has signed is published at /certificates/keys."
    )


@keys.command("init")
def keys_init() -> None:
    """Make development signing keys in SIGNING_DIR (a root, and a signing key it certifies)
    unless they exist, and publish their public parts. In production the key comes from
    CERTIFICATE_P12 (`flask keys publish`)."""
    config = current_app.config
    if config.get("CERTIFICATE_P12"):
        click.echo("Certificates are signed with CERTIFICATE_P12: no development keys are made.")
        keys_publish.callback()
        return
    if config.get("PORTAL_ENV") == PRODUCTION:
        raise click.ClickException(
            "In production certificates are signed with CERTIFICATE_P12 (a PKCS#12 file) and "
            "CERTIFICATE_P12_PASSPHRASE: set them, then run `flask --app app keys publish`."
        )
    directory = Path(config["SIGNING_DIR"])
    made = signing.init_dev_keys(directory)
    click.echo(
        f"Development signing keys {'made' if made else 'already'} in {directory} "
        f"({signing.DEV_ROOT}, {signing.DEV_P12}); they are for development only."
    )
    click.echo(_signing_with())


@keys.command("rotate")
def keys_rotate() -> None:
    """Development: a new signing key from the development root. New certificates are signed
    with it; the earlier keys stay published, so their certificates keep verifying. (In
    production, install a new CERTIFICATE_P12 and run `flask keys publish`.)"""
    config = current_app.config
    if config.get("CERTIFICATE_P12") or config.get("PORTAL_ENV") == PRODUCTION:
        raise click.ClickException(
            "In production, rotate by installing a new PKCS#12 file as CERTIFICATE_P12 "
            "(and its passphrase), then run `flask --app app keys publish`."
        )
    signing.current_keys()  # the old key is published before it goes
    signing.rotate_dev_keys(Path(config["SIGNING_DIR"]))
    click.echo("A new signing key signs new certificates; the earlier ones stay published.")
    click.echo(_signing_with())


@keys.command("publish")
def keys_publish() -> None:
    """Publish the public keys of the configured signing key (done by itself before the first
    certificate it signs; run it after installing a new CERTIFICATE_P12)."""
    try:
        added = signing.publish(signing.current_keys())
    except signing.SigningUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Newly published: {', '.join(added) if added else 'nothing (all were)'}.")
    click.echo(_signing_with())


@keys.command("list")
def keys_list() -> None:
    """Every published key: what it is, its id, since when."""
    document = signing.published_keys().document()
    for key in document["keys"]:
        click.echo(f"statement  {key['kid']:16}  {key['published']}  Ed25519")
    for certificate in document["certificates"]:
        click.echo(
            f"{certificate['kind']:10} {certificate['kid']:16}  {certificate['published']}  "
            f"{certificate['subject']}"
        )


@certificates.command("check")
@click.argument("pdf", type=click.File("rb"))
@click.option(
    "--keys",
    "keys_file",
    type=click.File("r", encoding="utf-8"),
    help="The portal's published keys, saved from /certificates/keys (default: this portal's).",
)
def check_certificate(pdf, keys_file) -> None:
    """Check a certificate's PDF offline: its digital signature and its QR code's signed
    statement, with the portal's published keys alone (the register is not asked)."""
    if keys_file is None:
        published = signing.published_keys()
    else:
        try:
            published = signing.PublishedKeys.from_document(json.load(keys_file))
        except ValueError as exc:
            raise click.ClickException(f"{keys_file.name}: {exc}") from exc
    data = pdf.read()
    signature = signing.check_pdf(data, published)
    if signature.ok:
        when = f"{signature.signed_at:%Y-%m-%d %H:%M %Z}" if signature.signed_at else "-"
        click.echo(
            f"PDF signature: intact, by {signature.signer}, signed {when}, with a key the portal "
            "has published."
        )
    else:
        click.echo(f"PDF signature: NOT VALID: {signature.problem}.")
    link = certificates_service.qr_link(data)
    check = statements.check_offline(link, published) if link else None
    if check is None:
        click.echo("QR statement: none found in the PDF.")
    elif check.is_valid:
        statement = check.statement
        click.echo(f"QR statement: signed by the portal's key {statement.kid}:")
        for label, value in (
            ("Registration number", statement.number),
            ("Company", statement.company_name),
            ("Zone", statement.zone),
            ("Sector", statement.sector),
            ("Date of registration", statement.registered_on.isoformat()),
            ("Certificate version", statement.version),
            ("Issued on", statement.issued_on.isoformat()),
        ):
            click.echo(f"  {label + ':':22} {value}")
    else:
        click.echo(f"QR statement: NOT VALID: {check.reason}")
    if signature.ok and check is not None and check.is_valid:
        click.echo(
            "Verdict: GENUINE: issued by Khorgos Gateway and unchanged since. Whether the company "
            "is still registered today, the register says online: "
            f"{certificates_service.verify_url(check.statement.number)}"
        )
        return
    click.echo("Verdict: NOT GENUINE: do not accept this certificate.")
    raise click.exceptions.Exit(1)


open_data_group = AppGroup("open-data", help="The daily bulk files of the public register.")


@open_data_group.command("publish")
def open_data_publish() -> None:
    """Write today's CSV and JSON Lines files of the public register into OPEN_DATA_DIR, with
    the manifest and the data dictionary; delete the releases older than OPEN_DATA_KEEP_DAYS.
    Run it daily (cron or an RQ job); run again the same day, it replaces that day's files."""
    try:
        release = open_data.publish()
    except open_data.OpenDataError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.session.rollback()  # it only read: end the read transaction
    click.echo(f"Published the register of {release.date}: {release.rows} companies.")
    for data_file in release.files:
        path = open_data.directory() / data_file.name
        click.echo(f"  {path}  {data_file.size} bytes  sha256 {data_file.sha256}")


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
    app.cli.add_command(keys)
    app.cli.add_command(certificates)
    app.cli.add_command(documents)
    app.cli.add_command(open_data_group)
    app.cli.add_command(seed)
    app.cli.add_command(demo)
    app.cli.add_command(check_deploy)
