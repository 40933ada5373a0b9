"""`flask` commands: users, audit, outbox, reference and demo data."""
import sys

import click
from flask.cli import AppGroup, with_appcontext

from marketplace.core.outbox import relay_pending
from marketplace.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
audit_cli = AppGroup("audit", help="Inspect the audit log.")
outbox_cli = AppGroup("outbox", help="Inspect and relay the outbox.")
ledger_cli = AppGroup("ledger", help="Check the money ledger.")
payments_cli = AppGroup("payments", help="The payment gateway and the books.")


@ledger_cli.command("verify")
def verify_ledger():
    """Check every ledger invariant; print the first violation and exit 1 if any."""
    from marketplace.funds import invariant_names, violations

    found = violations()
    if found:
        click.echo(f"LEDGER VIOLATION: {found[0]}", err=True)
        for more in found[1:]:
            click.echo(f"  also: {more}", err=True)
        sys.exit(1)
    click.echo("ledger sound: every transaction balances, balances match postings, "
               "nothing negative; and")
    for name in invariant_names():
        click.echo(f"  - {name}")


@payments_cli.command("reconcile")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="How many days back to read (default RECONCILIATION_DAYS).")
def reconcile_payments(days):
    """Match the gateway's PaymentIntents with payments and postings; list differences."""
    from datetime import timedelta

    from marketplace.core.timeutil import now_utc
    from marketplace.payments.reconciliation import reconcile

    window_to = now_utc()
    window_from = window_to - timedelta(days=days) if days else None
    run = reconcile(window_from, window_to)
    db.session.commit()
    relay_pending()
    click.echo(f"reconciliation {run.id}: {run.intents_seen} PaymentIntents, "
               f"{run.payments_seen} payments, {run.difference_count} differences")
    for difference in run.difference_list:
        click.echo(f"  {difference['kind']}: intent {difference['intent']}, payment "
                   f"{difference['payment']}: {difference['detail']}")
    if run.difference_count:
        sys.exit(1)


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

    from flask_babel import force_locale

    from marketplace.accounts.passwords import weakness
    if len(password) < 8:
        raise click.UsageError("the password needs at least 8 characters")
    with force_locale("en"):
        why = weakness(password, email=email, name=name)
        if why is not None:
            raise click.UsageError(str(why))
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
@click.option("--checkpoint", "published", multiple=True, metavar="SEQUENCE:HASH",
              help="Also check against a checkpoint as published (the supervisors' mail, "
                   "the transparency page), in case the stored ones were tampered with.")
def verify_audit(published):
    """Check the hash chain, its sequence and its end against the latest checkpoint; name
    the first fault and exit 1 if there is one."""
    from marketplace.core.audit import Anchor, ChainBroken, check_chain

    anchors = []
    for text in published:
        sequence, _, head_hash = text.partition(":")
        if not sequence.isdigit() or len(head_hash) != 64:
            raise click.BadParameter(f"{text!r} is not SEQUENCE:HASH",
                                     param_hint="--checkpoint")
        anchors.append(Anchor(int(sequence), head_hash.lower(),
                              f"the published checkpoint at {sequence}"))
    try:
        state = check_chain(anchors=anchors)
    except ChainBroken as broken:
        click.echo(f"BROKEN: {broken}", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {state.count} records, sequence 1 to "
               f"{state.head_sequence} without a gap")
    for anchor in state.anchors:
        click.echo(f"  verified up to {anchor.described}: record {anchor.sequence} has "
                   f"its hash {anchor.head_hash[:16]}…")
    if not state.anchors:
        click.echo("  no checkpoint yet: a deletion of the newest records cannot be told")
    click.echo(f"  {state.unsealed} records written after it, not sealed yet "
               f"(`flask audit seal` chains them)")


@audit_cli.command("seal")
@click.option("--batch-size", default=500, type=click.IntRange(min=1),
              help="Records chained per transaction.")
@click.option("--checkpoint", "checkpoint", is_flag=True,
              help="Write a checkpoint of the head afterwards (and mail it).")
def seal_audit(batch_size, checkpoint):
    """Chain the audit records written since the last seal (the sealer runs after commits
    and on the beat by itself); one sealer at a time, each batch its own transaction."""
    from marketplace.core.audit import count_unsealed, write_checkpoint
    from marketplace.core.audit_seal import seal

    def progress(run):
        click.echo(f"  batch {run.batches}: {run.sealed} records chained so far")

    run = seal(batch_size=batch_size, after_batch=progress)
    if run.busy:
        click.echo("another sealer holds the lease: it is chaining the records now")
    left = count_unsealed()
    click.echo(f"sealed {run.sealed} records in {run.batches} batches; {left} not sealed "
               f"yet (written by transactions still in flight, or by another sealer's run)")
    if checkpoint:
        written = write_checkpoint()
        db.session.commit()
        relay_pending()
        if written is not None:
            click.echo(f"{written.describe()}: sequence {written.sequence}, "
                       f"head {written.head_hash}")


@audit_cli.command("checkpoint")
def checkpoint_audit():
    """Seal what is written, record the chain's head now (the nightly job does it daily)
    and mail it to the supervisors."""
    from marketplace.core.audit import write_checkpoint
    from marketplace.core.audit_seal import seal

    seal()
    checkpoint = write_checkpoint()
    db.session.commit()
    relay_pending()
    if checkpoint is None:
        click.echo("the audit chain is empty: nothing to anchor")
    else:
        click.echo(f"{checkpoint.describe()}: sequence {checkpoint.sequence}, "
                   f"head {checkpoint.head_hash}")


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
    from flask import current_app
    if current_app.config.get("ENV_NAME") == "production":
        # demo accounts with a published password would be anyone's way in
        click.echo("seed-demo is refused in production: it creates accounts whose "
                   "password (demo12345) is published in the README. Create staff "
                   "accounts with `flask users create` instead.", err=True)
        sys.exit(2)
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


@click.command("wiring")
@with_appcontext
def wiring_command():
    """Print every domain and what it registers (blueprints, handlers, jobs, checks)."""
    from flask import current_app

    from marketplace.core.wiring import describe
    for line in describe(current_app):
        click.echo(line)


def register(app):
    from marketplace.catalogue.cli import catalogue_cli
    from marketplace.turnover.cli import turnover_cli
    for command in (users_cli, audit_cli, outbox_cli, ledger_cli, payments_cli,
                    seed_reference, seed_demo, turnover_cli, catalogue_cli, wiring_command):
        app.cli.add_command(command)
