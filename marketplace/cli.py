"""`flask` commands: users, audit, outbox, reference and demo data."""
import sys

import click
from flask.cli import AppGroup

from marketplace.core.outbox import relay_pending
from marketplace.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
audit_cli = AppGroup("audit", help="Inspect the audit log.")
outbox_cli = AppGroup("outbox", help="Inspect and relay the outbox.")
ledger_cli = AppGroup("ledger", help="Check the money ledger.")


@ledger_cli.command("verify")
def verify_ledger():
    """Check every ledger invariant; print the first violation and exit 1 if any."""
    from marketplace.core.ledger import violations

    found = violations()
    if found:
        click.echo(f"LEDGER VIOLATION: {found[0]}", err=True)
        for more in found[1:]:
            click.echo(f"  also: {more}", err=True)
        sys.exit(1)
    click.echo("ledger sound: every transaction balances, balances match postings, "
               "nothing negative, no programme over-issued")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True,
              type=click.Choice(["auditor", "supervisor", "expert", "admin"]))
@click.option("--name", default=None, help="Display name (defaults to the e-mail's name).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Initial password (asked for when not given).")
def create_user(email, role, name, password):
    """Create a staff account (auditor, supervisor, expert or admin)."""
    from marketplace.accounts import services
    from marketplace.core.errors import DomainError

    if len(password) < 8:
        raise click.UsageError("the password needs at least 8 characters")
    try:
        user = services.create_staff_user(email=email, name=name or email.split("@")[0],
                                          role=role, password=password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message))
    db.session.commit()
    relay_pending()
    click.echo(f"created {user.role.value} {user.email} (id {user.id})")


@audit_cli.command("verify")
def verify_audit():
    """Check the hash chain; name the first broken record and exit 1 if there is one."""
    from marketplace.core.audit import ChainBroken, verify_chain

    try:
        count = verify_chain()
    except ChainBroken as broken:
        click.echo(f"BROKEN at audit record {broken.record_id}: {broken.reason}", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {count} records")


@outbox_cli.command("sweep")
def sweep_outbox():
    """Hand unprocessed outbox messages to the task queue now."""
    from marketplace.core.outbox import sweep
    click.echo(f"dispatched {sweep(older_than_seconds=0)} messages")


@click.command("seed-reference")
def seed_reference():
    """Insert missing reference data (districts, categories). Safe to repeat."""
    from marketplace.accounts.reference import seed_reference_data
    added = seed_reference_data()
    db.session.commit()
    click.echo(f"reference data: {added} rows added")


@click.command("seed-demo")
@click.option("--contracts", "contracts", default=None, type=click.IntRange(min=0),
              help="Registered technology contracts to generate for this year "
                   "(default 1900, about ¥7.3 bn; 0 for none).")
def seed_demo(contracts):
    """Load the demo users and organisations (password demo12345). Safe to repeat."""
    from marketplace.demo.contracts import DEFAULT_CONTRACTS, seed_demo_contracts
    from marketplace.demo.seed import seed_demo_data
    report = seed_demo_data()
    db.session.commit()
    relay_pending()
    click.echo(report)
    added = seed_demo_contracts(DEFAULT_CONTRACTS if contracts is None else contracts)
    db.session.commit()
    relay_pending()
    click.echo(f"demo contracts: {added} registered contracts added")
    from marketplace.demo.exchange import seed_demo_exchange
    results, demands, brokers = seed_demo_exchange()
    db.session.commit()
    relay_pending()
    click.echo(f"demo exchange: {results} results, {demands} demands, {brokers} brokers added")
    from marketplace.demo.plan import seed_demo_plan
    report = seed_demo_plan()
    db.session.commit()
    relay_pending()
    click.echo(report)


def register(app):
    from marketplace.turnover.cli import turnover_cli
    for command in (users_cli, audit_cli, outbox_cli, ledger_cli, seed_reference, seed_demo,
                    turnover_cli):
        app.cli.add_command(command)
